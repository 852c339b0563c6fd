//! `/health` and `/metrics`: the figures an operator scrapes count what really happened on the server.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, metric};

#[tokio::test]
async fn health_answers_and_metrics_count_executions_requests_and_pools() {
    let server = Server::start().await;
    let (status, health) = server.get("/health").await;
    assert_eq!((status, health), (StatusCode::OK, json!({"status": "ok"})));

    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "misbehave", &[]).await;
    for _ in 0..3 {
        let execution = server.execute(&function, json!({"do": "echo", "value": 1})).await;
        assert_eq!(execution["status"], "success", "{execution}");
    }
    let failed = server.execute(&function, json!({"do": "panic", "message": "counted"})).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let (status, _) = server.get("/v1/functions/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let text = server.metrics().await;
    assert_eq!(metric(&text, r#"qinling_executions_total{status="success",shape="handler"}"#), 3.0);
    assert_eq!(metric(&text, r#"qinling_executions_total{status="failed",shape="handler"}"#), 1.0);
    assert_eq!(metric(&text, r#"qinling_executions_total{status="success",shape="wasi-http"}"#), 0.0);
    assert_eq!(metric(&text, r#"qinling_execution_duration_seconds_count{shape="handler"}"#), 4.0);
    assert!(metric(&text, r#"qinling_execution_duration_seconds_sum{shape="handler"}"#) > 0.0);
    assert_eq!(
        metric(&text, r#"qinling_execution_duration_seconds_bucket{shape="handler",le="+Inf"}"#),
        4.0,
        "the last bucket holds every observation"
    );
    let executions = r#"qinling_http_request_duration_seconds_count{method="POST",route="/v1/executions",code="201"}"#;
    assert_eq!(metric(&text, executions), 4.0);
    let bad_id = r#"qinling_http_request_duration_seconds_count{method="GET",route="/v1/functions/{id}",code="404"}"#;
    assert_eq!(metric(&text, bad_id), 1.0, "requests are labelled by route template, not by path");
    assert_eq!(metric(&text, "qinling_async_queue_depth"), 0.0);
    assert_eq!(metric(&text, "qinling_sync_executions_in_flight"), 0.0);
    let total = metric(&text, r#"qinling_wasm_instance_slots{state="total"}"#);
    assert!(total > 0.0 && metric(&text, r#"qinling_wasm_instance_slots{state="available"}"#) == total, "{text}");

    server.post("/v1/executions", json!({"function_id": function, "input": {"do": "echo"}, "sync": false})).await;
    let (status, _) = server.get("/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let text = server.metrics().await;
    let unmatched = r#"qinling_http_request_duration_seconds_count{method="GET",route="unmatched",code="404"}"#;
    assert_eq!(metric(&text, unmatched), 1.0, "unknown paths share one label");
    assert!(text.contains(r#"route="/metrics""#), "scrapes are counted too");
}
