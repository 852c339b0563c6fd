//! End-to-end tests: the real `qinling` binary on 127.0.0.1, a temporary data directory, real components
//! built from wasm-examples/, real containers on Podman, real HTTP. One module per resource or concern.

mod aliases;
mod async_executions;
mod auth;
mod cli;
mod containers;
mod crash;
mod deploy;
mod executions;
mod functions;
mod hostile;
mod hostile_api;
mod http_functions;
mod jobs;
mod kubernetes;
mod limits;
mod load;
mod metrics;
mod object_sources;
mod openstack;
mod outbound;
mod paging;
mod replicas;
mod restart;
mod root;
mod runtimes;
mod s3;
mod shapes;
mod support;
mod versions;
mod warm_up;
mod webhooks;
