//! `qinling server`: the composition root. Settings are read in two phases ([`ServerArgs`], raw and only
//! validated, then [`Resolved`], with the store opened and the Wasm host built), wired together, and served
//! until SIGINT or SIGTERM.

mod auth;
mod config;
mod containers;

pub(crate) use config::ServerArgs;

use std::sync::Arc;

use anyhow::Context;
use qinling_api::AppState;
use qinling_engine::Engine;
use tokio::net::TcpListener;

use config::Resolved;

/// How long running async executions may take to finish once the server is asked to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) async fn run(args: ServerArgs) -> anyhow::Result<()> {
    init_tracing();
    let resolved = Resolved::from_args(args).await?;
    let gate = resolved.auth.gate().await?;
    let listener = TcpListener::bind(resolved.listen).await.with_context(|| format!("binding {}", resolved.listen))?;
    let address = listener.local_addr()?;
    let mut engine = Engine::new(resolved.store, Arc::new(resolved.wasm), resolved.engine_settings);
    if let Some(containers) =
        resolved.containers.build(address).await.context("setting up the container orchestrator")?
    {
        engine = engine.with_containers(containers);
    }
    let background = engine.start_background().await.context("starting the async queue and job scheduler")?;
    let app = qinling_api::router(AppState::new(engine, gate)).layer(tower_http::trace::TraceLayer::new_for_http());

    // Tests and scripts read this line to find the port when listening on port 0.
    println!("qinling listening on http://{address}");
    tracing::info!(%address, data_dir = %resolved.data_dir.display(), "serving");
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    background.shutdown(SHUTDOWN_GRACE).await;
    tracing::info!("stopped");
    Ok(())
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
