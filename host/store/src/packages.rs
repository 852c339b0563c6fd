//! Function packages as blobs in an object store, content-addressed by their SHA-256 digest, so a package
//! shared by several functions or versions is stored once.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use qinling_core::PackageDigest;

use crate::StoreError;

#[derive(Clone)]
pub struct PackageStore {
    objects: Arc<dyn ObjectStore>,
}

impl PackageStore {
    /// Packages as files in a local directory (created if missing).
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
        Ok(Self { objects: Arc::new(LocalFileSystem::new_with_prefix(dir)?) })
    }

    fn key(digest: &PackageDigest) -> ObjectPath {
        ObjectPath::from(format!("{digest}.pkg"))
    }

    pub async fn put(&self, digest: &PackageDigest, bytes: Bytes) -> Result<(), StoreError> {
        self.objects.put(&Self::key(digest), PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, digest: &PackageDigest) -> Result<Option<Bytes>, StoreError> {
        match self.objects.get(&Self::key(digest)).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a package; deleting one that is not there is not an error.
    pub async fn delete(&self, digest: &PackageDigest) -> Result<(), StoreError> {
        match self.objects.delete(&Self::key(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn packages_round_trip_and_delete_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store = PackageStore::local(dir.path()).unwrap();
        let bytes = Bytes::from_static(b"\0asm package");
        let digest = PackageDigest::of(&bytes);
        store.put(&digest, bytes.clone()).await.unwrap();
        assert_eq!(store.get(&digest).await.unwrap(), Some(bytes));
        assert!(dir.path().join(format!("{digest}.pkg")).exists());
        store.delete(&digest).await.unwrap();
        store.delete(&digest).await.unwrap();
        assert_eq!(store.get(&digest).await.unwrap(), None);
    }
}
