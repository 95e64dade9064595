//! The hub's HTTP API (axum): thin handlers over [`Hub`].

use super::{Hub, Ingested};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub token: String,
    pub device_id: Uuid,
    pub public_key: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollReply {
    pub hub_id: Uuid,
    pub recipients: Vec<String>,
    pub hub_key: String,
    pub api_token: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FormInfo {
    pub id: String,
    pub version: String,
}

pub fn router(hub: Arc<Hub>) -> Router {
    let limit = hub.config.max_bundle_bytes;
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/enroll", post(enroll))
        .route("/api/v1/bundles", post(bundles))
        .route("/api/v1/forms", get(forms))
        .route("/api/v1/forms/{id}/{version}", get(form))
        .route("/api/v1/admin/import", post(admin_import))
        .route("/api/v1/admin/export", post(admin_export))
        // Over the limit is refused with 413 from the Content-Length, before reading the body.
        .layer(DefaultBodyLimit::max(limit))
        .with_state(hub)
}

/// Serves until the process is stopped; prints the address it listens on.
pub fn serve(hub: Hub, listen: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("hub {} listening on http://{addr}", hub.config.hub_id);
        // Lets `hub import`/`hub export` find this server while it holds the store.
        let addr_file = hub.dir.join("serve.addr");
        let _ = std::fs::write(&addr_file, addr.to_string());
        let app = router(Arc::new(hub));
        let r = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&addr_file);
        r
    })
}

async fn health(State(hub): State<Arc<Hub>>) -> Response {
    axum::Json(serde_json::json!({"status": "ok", "hub": hub.config.hub_id})).into_response()
}

fn text(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response()
}

async fn enroll(
    State(hub): State<Arc<Hub>>,
    axum::Json(req): axum::Json<EnrollRequest>,
) -> Response {
    let r = tokio::task::spawn_blocking(move || {
        hub.enroll(&req.token, req.device_id, &req.public_key)
            .map(|api| EnrollReply {
                hub_id: hub.config.hub_id,
                recipients: hub.config.recipients.clone(),
                hub_key: hub.verify_key_hex(),
                api_token: api,
            })
    })
    .await;
    match r {
        Ok(Ok(reply)) => (StatusCode::CREATED, axum::Json(reply)).into_response(),
        Ok(Err(refusal)) => text(refusal.status, refusal.reason),
        Err(e) => text(500, e.to_string()),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
}

async fn bundles(State(hub): State<Arc<Hub>>, req: axum::extract::Request) -> Response {
    let headers = req.headers().clone();
    let Some(token) = bearer(&headers) else {
        return text(401, "missing device token".into());
    };
    // Who and how big, before a byte of the body is read.
    let h = hub.clone();
    let device = match tokio::task::spawn_blocking(move || h.authenticate(&token)).await {
        Ok(Ok(d)) => d,
        Ok(Err(refusal)) => return text(refusal.status, refusal.reason),
        Err(e) => return text(500, e.to_string()),
    };
    let limit = hub.config.max_bundle_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return text(413, format!("bundle over the {limit}-byte limit"));
    }
    let body: Bytes = match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(b) => b,
        Err(_) => {
            return text(
                413,
                format!("bundle over the {limit}-byte limit, or cut short"),
            );
        }
    };
    let r = tokio::task::spawn_blocking(move || hub.ingest(&body, Some(&device))).await;
    match r {
        Ok(Ok(Ingested {
            receipt_bytes: receipt,
            ..
        })) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            receipt,
        )
            .into_response(),
        Ok(Err(refusal)) => text(refusal.status, refusal.reason),
        Err(e) => text(500, e.to_string()),
    }
}

async fn forms(State(hub): State<Arc<Hub>>) -> Response {
    let (list, _) = crate::cli::data::load_forms(&hub.forms_dir());
    let infos: Vec<FormInfo> = list
        .iter()
        .map(|f| FormInfo {
            id: f.id.clone(),
            version: f.version.clone(),
        })
        .collect();
    axum::Json(infos).into_response()
}

async fn form(
    State(hub): State<Arc<Hub>>,
    UrlPath((id, version)): UrlPath<(String, String)>,
) -> Response {
    let dir = hub.forms_dir();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml")
            && let Ok(f) = crate::form::load(&p)
            && f.id == id
            && f.version == version
            && let Ok(src) = std::fs::read_to_string(&p)
        {
            return (
                [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
                src,
            )
                .into_response();
        }
    }
    text(404, format!("no form {id} version {version}"))
}

#[derive(Debug, Deserialize)]
struct ImportRequest {
    files: Vec<std::path::PathBuf>,
}

#[derive(Debug, Deserialize)]
struct ExportRequest {
    out: std::path::PathBuf,
    include_sensitive: bool,
}

/// Admin calls run the CLI's own code inside the server; only from this machine.
fn local_only(peer: &std::net::SocketAddr) -> Option<Response> {
    (!peer.ip().is_loopback()).then(|| {
        text(
            403,
            "admin calls are accepted from this machine only".into(),
        )
    })
}

async fn admin_import(
    State(hub): State<Arc<Hub>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::Json(req): axum::Json<ImportRequest>,
) -> Response {
    if let Some(r) = local_only(&peer) {
        return r;
    }
    match tokio::task::spawn_blocking(move || crate::cli::hub::import_files(&hub, &req.files)).await
    {
        Ok((out, 0)) => text(200, out),
        Ok((out, _)) => text(400, out),
        Err(e) => text(500, e.to_string()),
    }
}

async fn admin_export(
    State(hub): State<Arc<Hub>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::Json(req): axum::Json<ExportRequest>,
) -> Response {
    if let Some(r) = local_only(&peer) {
        return r;
    }
    let shown = req.out.display().to_string();
    match tokio::task::spawn_blocking(move || {
        crate::cli::hub::export_tables(&hub, &req.out, req.include_sensitive)
    })
    .await
    {
        Ok(Ok(lines)) => text(200, format!("{lines}exported to {shown}\n")),
        Ok(Err(e)) => text(400, e),
        Err(e) => text(500, e.to_string()),
    }
}
