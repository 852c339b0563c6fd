//! The on-disk cache of compiled components, so that a restart does not recompile.
//!
//! A file is named by the code's key (package digest, refined by the entry) and a hash of the engine's
//! settings (wasmtime version, compiler flags, target): an artifact compiled under other settings is never
//! loaded, it is just not found.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use qinling_core::{CodeRef, PackageDigest};
use wasmtime::component::Component;
use wasmtime::{Engine, Module, Precompiled};

use crate::link::Compiled;

pub(crate) struct CompiledCache {
    dir: PathBuf,
    engine_key: String,
}

impl CompiledCache {
    pub(crate) fn open(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self { dir: dir.to_owned(), engine_key: format!("{:016x}", hasher.finish()) })
    }

    pub(crate) fn path(&self, code: &CodeRef) -> PathBuf {
        self.dir.join(format!("{}.{}.cwasm", code.key(), self.engine_key))
    }

    /// The cached artifact for `code`, if this engine compiled one before.
    pub(crate) fn load(&self, engine: &Engine, code: &CodeRef) -> Option<Compiled> {
        let path = self.path(code);
        if !path.exists() {
            return None;
        }
        // SAFETY: only this module writes files here, completely (write to a temporary file, sync, rename),
        // from `Compiled::serialize` of this engine's settings, which the file name encodes. wasmtime
        // still checks the header and refuses artifacts from other versions or settings.
        #[allow(unsafe_code, reason = "loading artifacts this cache wrote itself, see SAFETY")]
        let loaded = match Engine::detect_precompiled_file(&path) {
            Ok(Some(Precompiled::Component)) => {
                unsafe { Component::deserialize_file(engine, &path) }.map(Compiled::Component)
            }
            Ok(Some(Precompiled::Module)) => unsafe { Module::deserialize_file(engine, &path) }.map(Compiled::Module),
            Ok(None) => Err(wasmtime::Error::msg("not a compiled artifact")),
            Err(e) => Err(e),
        };
        match loaded {
            Ok(compiled) => Some(compiled),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "discarding unusable compiled artifact");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Writes the compiled artifact atomically: readers see the whole file or none.
    pub(crate) fn store(&self, code: &CodeRef, compiled: &Compiled) -> wasmtime::Result<()> {
        let bytes = compiled.serialize()?;
        let path = self.path(code);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Removes every artifact compiled from `package` (whatever the entry or engine settings).
    pub(crate) fn remove(&self, package: &PackageDigest) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(package.as_str()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
