//! Code ready to run: compiled artifacts ([`Compiled`]: a component or a core module) linked against the
//! host's WASI (and `wasi:http`) implementation into an instance-pre of its shape ([`Linked`]).

use qinling_core::PrepareError;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, InstancePre, Module};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings::HandlerPre;
use crate::shape::{self, Abi};
use crate::state::{ExecutionState, P1State};

/// A compiled package.
pub(crate) enum Compiled {
    Component(Component),
    Module(Module),
}

impl Compiled {
    pub(crate) fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        match self {
            Self::Component(component) => component.serialize(),
            Self::Module(module) => module.serialize(),
        }
    }

    /// The size of the compiled image in memory (code and data), what keeping it loaded costs.
    pub(crate) fn image_size(&self) -> u64 {
        let range = match self {
            Self::Component(component) => component.image_range(),
            Self::Module(module) => module.image_range(),
        };
        (range.end as usize - range.start as usize) as u64
    }

    /// Builds the copy-on-write memory images now rather than in the first execution.
    fn initialize_memory_images(&self) -> wasmtime::Result<()> {
        match self {
            Self::Component(component) => component.initialize_copy_on_write_image(),
            Self::Module(module) => module.initialize_copy_on_write_image(),
        }
    }
}

/// A package linked and ready to instantiate, per shape.
#[derive(Clone)]
pub(crate) enum Linked {
    Handler(HandlerPre<ExecutionState>),
    Http(ProxyPre<ExecutionState>),
    Command(CommandPre<ExecutionState>),
    CommandP1(InstancePre<P1State>),
}

impl Linked {
    pub(crate) fn abi(&self) -> Abi {
        match self {
            Self::Handler(_) => Abi::Handler,
            Self::Http(_) => Abi::Http,
            Self::Command(_) => Abi::Command,
            Self::CommandP1(_) => Abi::CommandP1,
        }
    }
}

/// The host's imports, for components and for core modules. Built once at startup.
pub(crate) struct Linkers {
    component: Linker<ExecutionState>,
    module: wasmtime::Linker<P1State>,
}

impl Linkers {
    pub(crate) fn new(engine: &Engine) -> wasmtime::Result<Self> {
        let mut component = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut component)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut component)?;
        let mut module = wasmtime::Linker::new(engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut module, |state: &mut P1State| &mut state.wasi)?;
        Ok(Self { component, module })
    }

    /// Links compiled code into the instance-pre of its shape, refusing what Qinling cannot run.
    pub(crate) fn link(&self, engine: &Engine, compiled: &Compiled) -> Result<Linked, PrepareError> {
        let needs = |e: wasmtime::Error| {
            PrepareError::Rejected(format!("the package needs something this host does not provide: {e:#}"))
        };
        let prepared = match compiled {
            Compiled::Component(component) => {
                let abi = shape::component_abi(engine, component).map_err(PrepareError::Rejected)?;
                let instance_pre = self.component.instantiate_pre(component).map_err(needs)?;
                let wrong_type = |e: wasmtime::Error| {
                    PrepareError::Rejected(format!(
                        "the component does not implement the {} shape as expected ({e:#}); it exports {}",
                        abi.as_str(),
                        shape::describe_exports(engine, component)
                    ))
                };
                match abi {
                    Abi::Handler => Linked::Handler(HandlerPre::new(instance_pre).map_err(wrong_type)?),
                    Abi::Http => Linked::Http(ProxyPre::new(instance_pre).map_err(wrong_type)?),
                    Abi::Command => Linked::Command(CommandPre::new(instance_pre).map_err(wrong_type)?),
                    Abi::CommandP1 => unreachable!("components are never preview 1 modules"),
                }
            }
            Compiled::Module(module) => {
                shape::module_abi(module).map_err(PrepareError::Rejected)?;
                Linked::CommandP1(self.module.instantiate_pre(module).map_err(needs)?)
            }
        };
        compiled
            .initialize_memory_images()
            .map_err(|e| PrepareError::Internal(format!("cannot build the memory image: {e:#}")))?;
        Ok(prepared)
    }
}
