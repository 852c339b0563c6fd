//! What a package is, told from its bytes before anything is compiled, and what a compiled component
//! exports, so that a rejected upload says what was found instead of the handler world.

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

const WASM_MAGIC: &[u8; 4] = b"\0asm";
/// Version and layer of a core module (`01 00 00 00`) and of a component (`0d 00 01 00`).
const CORE_MODULE_VERSION: [u8; 4] = [1, 0, 0, 0];
const COMPONENT_LAYER: [u8; 2] = [1, 0];

/// Checks the binary header: only components are accepted, with a message that names what arrived.
pub(crate) fn check_is_component(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 8 || &bytes[..4] != WASM_MAGIC {
        return Err("the package is not a WebAssembly binary (nor a zip holding one): it does not start with \
                    the \\0asm magic bytes"
            .to_owned());
    }
    if bytes[4..8] == CORE_MODULE_VERSION {
        return Err("the package is a core WebAssembly module, not a component: build it for the \
                    wasm32-wasip2 target so that it exports the qinling:function/handler world"
            .to_owned());
    }
    if bytes[6..8] != COMPONENT_LAYER {
        return Err(format!("the package is a WebAssembly binary of an unknown version ({:02x?})", &bytes[4..8]));
    }
    Ok(())
}

/// The names a component exports, for error messages: `handle` is what the handler world needs.
pub(crate) fn describe_exports(engine: &Engine, component: &Component) -> String {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, item)| match item.ty {
            ComponentItem::ComponentFunc(_) => format!("function `{name}`"),
            ComponentItem::ComponentInstance(_) => format!("interface `{name}`"),
            _ => format!("`{name}`"),
        })
        .collect();
    if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_wasm() {
        let err = check_is_component(b"print('hello')").unwrap_err();
        assert!(err.contains("not a WebAssembly binary"), "{err}");
    }

    #[test]
    fn a_core_module_is_named_as_such() {
        let err = check_is_component(b"\0asm\x01\0\0\0").unwrap_err();
        assert!(err.contains("core WebAssembly module, not a component"), "{err}");
    }

    #[test]
    fn a_component_header_passes() {
        assert_eq!(check_is_component(b"\0asm\x0d\0\x01\0"), Ok(()));
    }
}
