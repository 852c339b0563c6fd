//! Checking a package for container runtimes before it is stored: a zip archive whose files stay inside
//! the directory it is unpacked into, with no links, a bounded number of files and a bounded unpacked
//! size, actually decompressed to catch archives that lie about their sizes. The worker checks again when
//! it unpacks (runtimes/README.md); this check gives the user a 400 at upload instead of a failed
//! execution later.

use std::io::{Cursor, Read};

/// Most files a package may hold.
pub const MAX_FILES: usize = 10_000;
/// Most bytes a package may unpack to.
pub const MAX_UNPACKED: u64 = 500 * 1024 * 1024;

/// Unix file type bits of a symbolic link, in a zip entry's external attributes.
const SYMLINK: u32 = 0o120000;
const FILE_TYPE: u32 = 0o170000;

/// Checks a package; `Err` says what is wrong with it.
pub fn check(package: &[u8], max_unpacked: u64) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(package))
        .map_err(|e| format!("a package for a container runtime must be a zip archive: {e}"))?;
    if archive.len() > MAX_FILES {
        return Err(format!("the package holds {} files; the limit is {MAX_FILES}", archive.len()));
    }
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|e| format!("the zip archive cannot be read: {e}"))?;
        let name = file.name().map_err(|e| format!("the zip archive has an unreadable file name: {e}"))?.into_owned();
        if name.starts_with('/') || name.starts_with('\\') || name.split(['/', '\\']).any(|part| part == "..") {
            return Err(format!("the package holds an unsafe path: {name:?}"));
        }
        if file.enclosed_name().is_none() {
            return Err(format!("the package holds an unsafe path: {name:?}"));
        }
        if file.unix_mode().is_some_and(|mode| mode & FILE_TYPE == SYMLINK) {
            return Err(format!("the package holds a symbolic link: {name:?}"));
        }
        let budget = max_unpacked - unpacked;
        let read = std::io::copy(&mut (&mut file).take(budget + 1), &mut std::io::sink())
            .map_err(|e| format!("cannot unpack {name:?}: {e}"))?;
        unpacked += read;
        if unpacked > max_unpacked {
            return Err(format!("the package unpacks to more than {max_unpacked} bytes"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])], options: SimpleFileOptions) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in files {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_plain_python_package_passes() {
        let package = zip_of(&[("main.py", b"def main(): pass"), ("lib/util.py", b"")], SimpleFileOptions::default());
        assert_eq!(check(&package, MAX_UNPACKED), Ok(()));
    }

    #[test]
    fn unsafe_paths_links_and_non_zips_are_refused() {
        let options = SimpleFileOptions::default();
        for (name, needle) in
            [("../evil.py", "unsafe path"), ("/etc/passwd", "unsafe path"), ("a/../../b", "unsafe path")]
        {
            let error = check(&zip_of(&[(name, b"x")], options), MAX_UNPACKED).unwrap_err();
            assert!(error.contains(needle), "{name}: {error}");
        }
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        writer.add_symlink("link", "/etc/passwd", options).unwrap();
        let link = writer.finish().unwrap().into_inner();
        assert!(check(&link, MAX_UNPACKED).unwrap_err().contains("symbolic link"));
        assert!(check(b"\0asm\x01\0\0\0", MAX_UNPACKED).unwrap_err().contains("must be a zip archive"));
    }

    #[test]
    fn a_zip_bomb_is_refused_by_what_it_unpacks_to() {
        let bomb = zip_of(
            &[("a.txt", &vec![0u8; 2 * 1024 * 1024]), ("b.txt", &vec![0u8; 2 * 1024 * 1024])],
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
        );
        assert!(bomb.len() < 64 * 1024, "it compresses well: {} bytes", bomb.len());
        assert!(check(&bomb, 3 * 1024 * 1024).unwrap_err().contains("unpacks to more than 3145728 bytes"));
        assert_eq!(check(&bomb, 5 * 1024 * 1024), Ok(()));
    }
}
