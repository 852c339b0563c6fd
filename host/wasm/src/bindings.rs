//! Host bindings for the `qinling:function/handler` world in sdk/wit, the one contract with guests. The
//! WASI interfaces it imports are the ones wasmtime-wasi and wasmtime-wasi-http already implement.

wasmtime::component::bindgen!({
    path: "../../sdk/wit",
    world: "handler",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
});
