//! Runtimes: where a function's code runs. A Wasm runtime is the built-in pooled wasmtime host; a container
//! runtime is a pool of workers running an image (served by an orchestrator backend).

use crate::{ProjectId, RuntimeId, Timestamp};

/// The image name that selects the built-in Wasm host. Qinling's client sends only `name` and `image`, so
/// the image alone must be able to say which kind of runtime is meant.
pub const WASM_IMAGE: &str = "wasm";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeKind {
    Wasm,
    Container,
}

impl RuntimeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wasm => "wasm",
            Self::Container => "container",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "wasm" => Some(Self::Wasm),
            "container" => Some(Self::Container),
            _ => None,
        }
    }

    /// The kind a runtime has given an optional explicit kind and its image: the reserved image
    /// [`WASM_IMAGE`] means Wasm, any other image a container. An explicit kind must agree with the image.
    pub fn resolve(explicit: Option<Self>, image: &str) -> Result<Self, String> {
        let implied = if image == WASM_IMAGE { Self::Wasm } else { Self::Container };
        match explicit {
            None => Ok(implied),
            Some(kind) if kind == implied => Ok(kind),
            Some(Self::Wasm) => Err(format!("a wasm runtime's image must be {WASM_IMAGE:?}, not {image:?}")),
            Some(Self::Container) => Err(format!(
                "the image {WASM_IMAGE:?} is reserved for wasm runtimes; a container runtime needs a container image"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeStatus {
    Creating,
    Available,
    Error,
}

impl RuntimeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Available => "available",
            Self::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "creating" => Some(Self::Creating),
            "available" => Some(Self::Available),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Runtime {
    pub id: RuntimeId,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    pub kind: RuntimeKind,
    pub image: String,
    pub status: RuntimeStatus,
    /// Why the runtime is in `error` (or what it waits for while `creating`).
    pub status_reason: Option<String>,
    pub is_public: bool,
    pub trusted: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a client asks for when it creates a runtime.
#[derive(Clone, Debug)]
pub struct NewRuntime {
    pub name: String,
    pub description: String,
    pub kind: Option<RuntimeKind>,
    pub image: String,
    pub is_public: bool,
    pub trusted: bool,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct RuntimePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub is_public: Option<bool>,
    pub trusted: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_image_means_wasm() {
        assert_eq!(RuntimeKind::resolve(None, "wasm"), Ok(RuntimeKind::Wasm));
        assert_eq!(RuntimeKind::resolve(None, "python:3.12"), Ok(RuntimeKind::Container));
    }

    #[test]
    fn an_explicit_kind_must_agree_with_the_image() {
        assert_eq!(RuntimeKind::resolve(Some(RuntimeKind::Wasm), "wasm"), Ok(RuntimeKind::Wasm));
        let err = RuntimeKind::resolve(Some(RuntimeKind::Wasm), "python:3.12").unwrap_err();
        assert!(err.contains("must be \"wasm\""), "{err}");
        let err = RuntimeKind::resolve(Some(RuntimeKind::Container), "wasm").unwrap_err();
        assert!(err.contains("reserved"), "{err}");
    }
}
