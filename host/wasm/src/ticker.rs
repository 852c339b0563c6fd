//! The epoch ticker: a plain thread that advances the engine's epoch every [`EPOCH_TICK`], holding only a
//! weak reference so that it ends when the engine is dropped.

use wasmtime::{Engine, EngineWeak};

use crate::config::EPOCH_TICK;

pub(crate) fn start(engine: &Engine) -> std::io::Result<()> {
    let weak: EngineWeak = engine.weak();
    std::thread::Builder::new()
        .name("qinling-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .map(drop)
}
