//! Host bindings for the `qinling:function/handler` world in sdk/wit, the one contract with guests.

wasmtime::component::bindgen!({
    path: "../../sdk/wit",
    world: "handler",
    exports: { default: async },
});
