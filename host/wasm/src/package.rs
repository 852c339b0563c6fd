//! What in a package is the WebAssembly to run: the package itself, or one `.wasm` file inside a zip
//! archive (Qinling's clients upload only zips: `--file app.wasm` zips the single file). In a zip with
//! several `.wasm` files, the function's `entry` names the one to run.

use std::borrow::Cow;
use std::io::{Cursor, Read};

const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// The WebAssembly bytes of a package; at most `max_size` bytes are read out of an archive.
pub(crate) fn wasm_bytes<'a>(package: &'a [u8], entry: Option<&str>, max_size: u64) -> Result<Cow<'a, [u8]>, String> {
    if !package.starts_with(ZIP_MAGIC) {
        return Ok(Cow::Borrowed(package));
    }
    let mut archive =
        zip::ZipArchive::new(Cursor::new(package)).map_err(|e| format!("the zip archive cannot be read: {e}"))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.map(|name| name.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the zip archive has an unreadable file name: {e}"))?;
    let wasm_files: Vec<&String> =
        names.iter().filter(|name| name.ends_with(".wasm") && !name.starts_with("__MACOSX/")).collect();
    let chosen = match entry {
        Some(entry) if archive.index_for_name(entry).is_some() => entry.to_owned(),
        Some(entry) if archive.index_for_name(&format!("{entry}.wasm")).is_some() => format!("{entry}.wasm"),
        _ => match wasm_files.as_slice() {
            [only] => (*only).clone(),
            [] => return Err("the zip archive holds no .wasm file".to_owned()),
            several => {
                return Err(format!(
                    "the zip archive holds several .wasm files ({}); set the function's entry to the one to run",
                    several.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        },
    };
    let file = archive.by_name(&chosen).map_err(|e| format!("cannot read {chosen} from the zip archive: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max_size + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot unpack {chosen}: {e}"))?;
    if bytes.len() as u64 > max_size {
        return Err(format!("{chosen} unpacks to more than {max_size} bytes"));
    }
    Ok(Cow::Owned(bytes))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in files {
            writer
                .start_file(*name, SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated))
                .unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_raw_module_is_itself() {
        assert_eq!(wasm_bytes(b"\0asm\x0d\0\x01\0", None, 100).unwrap().as_ref(), b"\0asm\x0d\0\x01\0");
    }

    #[test]
    fn the_only_wasm_file_of_a_zip_is_unpacked() {
        let zip = zip_of(&[("README", b"hello"), ("app.wasm", b"\0asm module")]);
        assert_eq!(wasm_bytes(&zip, None, 100).unwrap().as_ref(), b"\0asm module");
        assert_eq!(
            wasm_bytes(&zip, Some("main.main"), 100).unwrap().as_ref(),
            b"\0asm module",
            "a Qinling default entry is ignored"
        );
    }

    #[test]
    fn the_entry_chooses_among_several() {
        let zip = zip_of(&[("a.wasm", b"first"), ("b.wasm", b"second")]);
        assert_eq!(wasm_bytes(&zip, Some("b.wasm"), 100).unwrap().as_ref(), b"second");
        assert_eq!(wasm_bytes(&zip, Some("a"), 100).unwrap().as_ref(), b"first");
        let err = wasm_bytes(&zip, None, 100).unwrap_err();
        assert!(err.contains("several .wasm files (a.wasm, b.wasm)"), "{err}");
    }

    #[test]
    fn empty_broken_and_bombing_archives_are_refused() {
        assert!(wasm_bytes(&zip_of(&[("notes.txt", b"x")]), None, 100).unwrap_err().contains("no .wasm file"));
        assert!(wasm_bytes(b"PK\x03\x04garbage", None, 100).unwrap_err().contains("cannot be read"));
        let bomb = zip_of(&[("big.wasm", &vec![0u8; 10_000])]);
        assert!(wasm_bytes(&bomb, None, 1000).unwrap_err().contains("more than 1000 bytes"));
    }
}
