//! What a package is: told from its bytes (a component, a core module, or not WebAssembly at all), then,
//! once compiled, from what it exports. Qinling runs four shapes ([`Abi`]); anything else is refused with
//! a message that says what was found.

use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;
use wasmtime::{Engine, ExternType, Module};

const WASM_MAGIC: &[u8; 4] = b"\0asm";
/// Version and layer of a core module (`01 00 00 00`) and of a component (`0d 00 01 00`).
const CORE_MODULE_VERSION: [u8; 4] = [1, 0, 0, 0];
const COMPONENT_LAYER: [u8; 2] = [1, 0];

/// The two kinds of WebAssembly binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Component,
    Module,
}

/// How the host calls a function: the shape of its package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Abi {
    /// A component of the `qinling:function/handler` world: `handle(input) -> result<output, error>`.
    Handler,
    /// A `wasi:http/proxy` component: the input is a POST body, the response body the output.
    Http,
    /// A `wasi:cli/run` component: input on stdin, output from stdout, a failing exit fails it.
    Command,
    /// A WASI preview 1 core module with `_start`: the same as [`Abi::Command`].
    CommandP1,
}

impl Abi {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Handler => "handler",
            Self::Http => "wasi-http",
            Self::Command => "wasi-command",
            Self::CommandP1 => "wasip1-command",
        }
    }
}

/// Checks the binary header and says which kind of binary it is.
pub(crate) fn binary_kind(bytes: &[u8]) -> Result<Binary, String> {
    if bytes.len() < 8 || &bytes[..4] != WASM_MAGIC {
        return Err("the package is not a WebAssembly binary (nor a zip holding one): it does not start with \
                    the \\0asm magic bytes"
            .to_owned());
    }
    if bytes[4..8] == CORE_MODULE_VERSION {
        return Ok(Binary::Module);
    }
    if bytes[6..8] != COMPONENT_LAYER {
        return Err(format!("the package is a WebAssembly binary of an unknown version ({:02x?})", &bytes[4..8]));
    }
    Ok(Binary::Component)
}

/// The shape of a component, from its exports.
pub(crate) fn component_abi(engine: &Engine, component: &Component) -> Result<Abi, String> {
    let names: Vec<String> = component.component_type().exports(engine).map(|(name, _)| name.to_owned()).collect();
    if names.iter().any(|name| name == "handle") {
        Ok(Abi::Handler)
    } else if names.iter().any(|name| name.starts_with("wasi:http/incoming-handler@0.2")) {
        Ok(Abi::Http)
    } else if names.iter().any(|name| name.starts_with("wasi:cli/run@0.2")) {
        Ok(Abi::Command)
    } else {
        Err(format!(
            "the component exports {}; Qinling runs components that export `handle` (the \
             qinling:function/handler world), `wasi:http/incoming-handler` or `wasi:cli/run`",
            describe_exports(engine, component)
        ))
    }
}

/// The shape of a core module: a WASI command program, if it has `_start`.
pub(crate) fn module_abi(module: &Module) -> Result<Abi, String> {
    let start = module.exports().find(|export| export.name() == "_start");
    match start.map(|export| export.ty()) {
        Some(ExternType::Func(_)) => Ok(Abi::CommandP1),
        _ => Err("the package is a core WebAssembly module without a `_start` function: Qinling runs core \
                  modules as WASI command programs; for a function, build a component for wasm32-wasip2 \
                  that exports the qinling:function/handler world"
            .to_owned()),
    }
}

/// The names a component exports, for error messages.
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
        let err = binary_kind(b"print('hello')").unwrap_err();
        assert!(err.contains("not a WebAssembly binary"), "{err}");
    }

    #[test]
    fn headers_tell_modules_from_components() {
        assert_eq!(binary_kind(b"\0asm\x01\0\0\0"), Ok(Binary::Module));
        assert_eq!(binary_kind(b"\0asm\x0d\0\x01\0"), Ok(Binary::Component));
        assert!(binary_kind(b"\0asm\x0d\0\x07\0").unwrap_err().contains("unknown version"));
    }

    #[test]
    fn a_module_without_start_is_refused() {
        let engine = Engine::default();
        let empty = Module::new(&engine, b"\0asm\x01\0\0\0").unwrap();
        assert!(module_abi(&empty).unwrap_err().contains("without a `_start` function"));
    }
}
