//! Function packages as blobs in an object store, content-addressed by their SHA-256 digest, so a package
//! shared by several functions or versions is stored once. The store is a local directory by default, or
//! an S3 bucket (AWS or any S3-compatible server) named by a URL, so that several replicas share packages.
//! Beside the packages, `objects/<project>/<key>` holds objects a project put there itself, which a
//! function can be created from (Qinling's `object` and `swift` code sources).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use qinling_core::{PackageDigest, ProjectId};

use crate::StoreError;

/// Retries of a failed S3 request (5xx, connection errors), within a bound that an upload can wait for.
const S3_RETRIES: usize = 3;
const S3_RETRY_TIMEOUT: Duration = Duration::from_secs(10);
/// An object no package is stored under, written at start and read by health probes.
const PROBE_KEY: &str = "qinling-probe";

/// The longest object key a function may name.
const MAX_OBJECT_KEY: usize = 1024;

/// What reading a project's object found.
#[derive(Debug, PartialEq, Eq)]
pub enum ObjectRead {
    Found(Bytes),
    Missing,
    /// The object is bigger than the cap; it was not read.
    TooLarge {
        size: u64,
    },
    /// The key cannot name an object; why.
    BadKey(String),
}

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

    /// The store a URL names: `file:///absolute/dir`, or `s3://bucket[/prefix][?setting=value&...]`.
    /// S3 settings come from the standard `AWS_*` environment variables (credentials, region, endpoint),
    /// then from the query, whose keys are object_store's S3 settings (`endpoint`, `region`,
    /// `allow_http`, `virtual_hosted_style_request`, ...). The bucket must exist.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let invalid = |why: String| StoreError::Config(format!("package store URL {url:?}: {why}"));
        if let Some(dir) = url.strip_prefix("file://") {
            return Self::local(Path::new(dir));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(invalid("use file:///dir or s3://bucket[/prefix]".into()));
        };
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.is_empty() {
            return Err(invalid("no bucket".into()));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket).with_retry(RetryConfig {
            max_retries: S3_RETRIES,
            retry_timeout: S3_RETRY_TIMEOUT,
            ..RetryConfig::default()
        });
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
            let key: AmazonS3ConfigKey = key.parse().map_err(|_| invalid(format!("{key:?} is not an S3 setting")))?;
            builder = builder.with_config(key, value);
        }
        let s3 = builder.build().map_err(|e| invalid(e.to_string()))?;
        let objects: Arc<dyn ObjectStore> = match prefix.trim_matches('/') {
            "" => Arc::new(s3),
            prefix => Arc::new(PrefixStore::new(s3, prefix)),
        };
        Ok(Self { objects })
    }

    /// Checks that packages can be written: a missing bucket, refused credentials or a read-only store fail
    /// here, at start, rather than at the first upload.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        let probe = ObjectPath::from(PROBE_KEY);
        self.objects.put(&probe, PutPayload::from_static(b"qinling")).await?;
        Ok(())
    }

    /// Checks that the store answers (for health probes: one cheap read).
    pub async fn probe(&self) -> Result<(), StoreError> {
        match self.objects.head(&ObjectPath::from(PROBE_KEY)).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
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

    /// Reads `objects/<project>/<key>` if it holds at most `max` bytes.
    pub async fn get_object(&self, project: &ProjectId, key: &str, max: u64) -> Result<ObjectRead, StoreError> {
        let path = match object_path(project, key) {
            Ok(path) => path,
            Err(why) => return Ok(ObjectRead::BadKey(why)),
        };
        let meta = match self.objects.head(&path).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(ObjectRead::Missing),
            Err(e) => return Err(e.into()),
        };
        if meta.size > max {
            return Ok(ObjectRead::TooLarge { size: meta.size });
        }
        let bytes = match self.objects.get(&path).await {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Ok(ObjectRead::Missing),
            Err(e) => return Err(e.into()),
        };
        // The object may have been replaced by a bigger one between the two requests.
        if bytes.len() as u64 > max {
            return Ok(ObjectRead::TooLarge { size: bytes.len() as u64 });
        }
        Ok(ObjectRead::Found(bytes))
    }

    /// Deletes a package; deleting one that is not there is not an error.
    pub async fn delete(&self, digest: &PackageDigest) -> Result<(), StoreError> {
        match self.objects.delete(&Self::key(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Where a project's object lives, or why the key names none: keys are `/`-separated segments, none
/// empty, `.` or `..`, without control characters.
fn object_path(project: &ProjectId, key: &str) -> Result<ObjectPath, String> {
    if key.is_empty() || key.len() > MAX_OBJECT_KEY {
        return Err(format!("an object key has 1 to {MAX_OBJECT_KEY} bytes; this one has {}", key.len()));
    }
    if let Some(segment) = key.split('/').find(|segment| matches!(*segment, "" | "." | "..")) {
        return Err(format!("the object key {key:?} has a segment {segment:?}; name the object by its plain path"));
    }
    if key.chars().any(char::is_control) {
        return Err(format!("the object key {key:?} has a control character"));
    }
    ObjectPath::parse(format!("objects/{project}/{key}")).map_err(|e| format!("the object key {key:?}: {e}"))
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
        store.check_writable().await.unwrap();
        store.probe().await.unwrap();
        assert!(dir.path().join(PROBE_KEY).exists());
    }

    #[tokio::test]
    async fn objects_are_read_under_their_project_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let store = PackageStore::local(dir.path()).unwrap();
        let project = ProjectId::new("p1".to_owned());
        std::fs::create_dir_all(dir.path().join("objects/p1/code")).unwrap();
        std::fs::write(dir.path().join("objects/p1/code/hello.wasm"), b"twelve bytes").unwrap();
        let read = |project: ProjectId, key: &'static str, max: u64| {
            let store = store.clone();
            async move { store.get_object(&project, key, max).await.unwrap() }
        };
        assert_eq!(
            read(project.clone(), "code/hello.wasm", 12).await,
            ObjectRead::Found(Bytes::from_static(b"twelve bytes"))
        );
        assert_eq!(read(project.clone(), "code/hello.wasm", 11).await, ObjectRead::TooLarge { size: 12 });
        assert_eq!(read(project.clone(), "code/absent.wasm", 12).await, ObjectRead::Missing);
        assert_eq!(read(ProjectId::new("p2".to_owned()), "code/hello.wasm", 12).await, ObjectRead::Missing);
        for bad in ["", "../p2/x", "code//hello.wasm", "/code/hello.wasm", "code/./x", "a\u{7}b"] {
            assert!(matches!(read(project.clone(), bad, 12).await, ObjectRead::BadKey(_)), "{bad:?} was accepted");
        }
    }

    #[test]
    fn urls_name_a_directory_or_a_bucket_and_bad_ones_say_why() {
        let dir = tempfile::tempdir().unwrap();
        PackageStore::open(&format!("file://{}", dir.path().join("packages").display())).unwrap();
        assert!(dir.path().join("packages").is_dir());
        PackageStore::open("s3://bucket/prefix?endpoint=http://127.0.0.1:9&allow_http=true&region=r").unwrap();
        let refused = |url: &str| match PackageStore::open(url) {
            Err(StoreError::Config(why)) => why,
            Err(other) => panic!("{url}: unexpected {other}"),
            Ok(_) => panic!("{url} was accepted"),
        };
        assert!(refused("ftp://host/dir").contains("use file:///dir or s3://bucket"));
        assert!(refused("s3://").contains("no bucket"));
        assert!(refused("s3://bucket?colour=blue").contains("\"colour\" is not an S3 setting"));
    }
}
