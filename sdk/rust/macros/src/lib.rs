//! `#[qinling_sdk::function]`: turns an ordinary function into the `handle` export of a Qinling function
//! component. See the `qinling-sdk` crate for the contract and examples.

use proc_macro::TokenStream;
use quote::quote;
use syn::{ItemFn, ReturnType, Type, parse_macro_input};

/// Exports the annotated function as the Qinling function of this component.
///
/// The function takes one argument that implements `serde::Deserialize` (the execution's input) and
/// returns either a value that implements `serde::Serialize` (the output) or a `Result` of one, whose
/// `Err` (anything that implements `Display`) fails the execution with its message.
#[proc_macro_attribute]
pub fn function(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(proc_macro2::Span::call_site(), "#[qinling_sdk::function] takes no arguments")
            .to_compile_error()
            .into();
    }
    let function = parse_macro_input!(item as ItemFn);
    if function.sig.inputs.len() != 1 {
        return syn::Error::new_spanned(
            &function.sig,
            "a Qinling function takes exactly one argument: its input (any serde::Deserialize type)",
        )
        .to_compile_error()
        .into();
    }
    let name = &function.sig.ident;
    let run = if returns_result(&function.sig.output) {
        quote!(::qinling_sdk::__private::run_fallible)
    } else {
        quote!(::qinling_sdk::__private::run)
    };
    quote! {
        #function

        #[doc(hidden)]
        struct __QinlingFunction;

        impl ::qinling_sdk::__private::Guest for __QinlingFunction {
            fn handle(input: ::std::string::String) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                #run(&input, #name)
            }
        }

        ::qinling_sdk::__private::export!(__QinlingFunction with_types_in ::qinling_sdk::__private);
    }
    .into()
}

/// Whether the return type is spelled `Result<...>` (any path ending in `Result`).
fn returns_result(output: &ReturnType) -> bool {
    match output {
        ReturnType::Type(_, ty) => match ty.as_ref() {
            Type::Path(path) => path.path.segments.last().is_some_and(|segment| segment.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    }
}
