//! The hub's HTTP API (axum): thin handlers over [`Hub`], served by a connection loop that
//! bounds what any client can hold: connections, time, and memory.

use super::{Hub, Ingested};
use crate::protocol::bundle::FormList;
use crate::protocol::http::{EnrollReply, EnrollRequest};
use crate::protocol::keys;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What one client may hold of the hub. The defaults suit a district office's machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at once; more wait in the OS's accept queue.
    pub connections: usize,
    /// Time to send a request's headers (also how long an idle keep-alive connection lives).
    pub header_timeout: Duration,
    /// Time to send a whole request body.
    pub body_timeout: Duration,
    /// Bundle bodies being received at once (each up to `max_bundle_bytes` in memory).
    pub uploads: usize,
    /// Largest body of a route that needs no device token (enrolment) or an admin call.
    pub small_body: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 256,
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(120),
            uploads: 4,
            small_body: 16 << 10,
        }
    }
}

struct Shared {
    hub: Hub,
    limits: Limits,
    uploads: Semaphore,
    /// SHA-256 of the admin token (`admin.token` in the hub folder).
    admin_hash: String,
}

type St = State<Arc<Shared>>;

pub fn router(hub: Hub) -> Router {
    router_with(hub, Limits::default())
}

/// The routes, over a hub this router owns.
pub fn router_with(hub: Hub, limits: Limits) -> Router {
    let admin_hash = Hub::admin_token(&hub.dir)
        .map(|t| keys::sha256_hex(&t))
        // Without a readable token no admin call can pass: the hash of nothing matches none.
        .unwrap_or_default();
    let bundle_limit = hub.config.max_bundle_bytes;
    let small = limits.small_body;
    let shared = Arc::new(Shared {
        uploads: Semaphore::new(limits.uploads.max(1)),
        hub,
        limits,
        admin_hash,
    });
    let small_limit = DefaultBodyLimit::max(small);
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/enroll", post(enroll).layer(small_limit))
        .route(
            "/api/v1/bundles",
            post(bundles).layer(DefaultBodyLimit::max(bundle_limit)),
        )
        .route("/api/v1/returns", get(returns))
        .route("/api/v1/forms", get(forms))
        .route("/api/v1/forms/{id}/{version}", get(form))
        .route(
            "/api/v1/admin/import",
            post(admin_import).layer(small_limit),
        )
        .route(
            "/api/v1/admin/export",
            post(admin_export).layer(small_limit),
        )
        .route("/api/v1/admin/open", post(admin_open).layer(small_limit))
        .route(
            "/api/v1/admin/report",
            post(admin_report).layer(small_limit),
        )
        .layer(axum::middleware::from_fn(catch_panic))
        .with_state(shared)
}

/// A panic in a handler costs that request a 500, never the service: the handler runs as
/// its own task, whose panic comes back as an error.
pub async fn catch_panic(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hub: a request failed inside the hub: {e}");
            text(
                500,
                "the hub failed on this request; it goes on serving".into(),
            )
        }
    }
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
        let _ = crate::store::paths::write_private(&addr_file, addr.to_string().as_bytes());
        let app = router_with(hub, Limits::default());
        tokio::select! {
            r = serve_router(listener, app, Limits::default()) => {
                let _ = std::fs::remove_file(&addr_file);
                r
            }
            _ = tokio::signal::ctrl_c() => {
                let _ = std::fs::remove_file(&addr_file);
                Ok(())
            }
        }
    })
}

/// Accepts connections on `listener` and serves `app` on each, with a cap on open
/// connections and time limits on headers, idle keep-alive and whole connections.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
) -> Result<(), String> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let open = Arc::new(Semaphore::new(limits.connections.max(1)));
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    loop {
        // Wait for a free slot before accepting: excess clients queue in the kernel instead
        // of costing us a descriptor each.
        let Ok(permit) = open.clone().acquire_owned().await else {
            return Ok(());
        };
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                eprintln!("hub: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut make = make.clone();
        let svc = match tower_service::Service::call(&mut make, peer).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        let header_timeout = limits.header_timeout;
        // No single connection lives beyond this, whatever it does.
        let lifetime = limits.body_timeout * 5;
        tokio::spawn(async move {
            let svc = hyper_util::service::TowerToHyperService::new(svc);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(lifetime, conn).await;
            drop(permit);
        });
    }
}

async fn health(State(s): St) -> Response {
    axum::Json(serde_json::json!({"status": "ok", "hub": s.hub.config.hub_id})).into_response()
}

/// The HTTP status that says why the hub refused: the one place that knows HTTP codes.
pub(crate) fn status_of(e: &super::HubError) -> u16 {
    use super::HubError as E;
    match e {
        E::TooLarge { .. } => 413,
        E::Invalid(_) | E::NotAHub(_) | E::AlreadyAHub(_) => 400,
        E::Unauthorized(_) => 401,
        E::Forbidden(_) => 403,
        E::Conflict(_) => 409,
        E::InUse(_) | E::Internal(_) => 500,
    }
}

fn refused(e: &super::HubError) -> Response {
    text(status_of(e), e.to_string())
}

fn text(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response()
}

async fn enroll(State(s): St, axum::Json(req): axum::Json<EnrollRequest>) -> Response {
    let r = tokio::task::spawn_blocking(move || {
        let hub = &s.hub;
        hub.enroll(&req).map(|api| EnrollReply {
            hub_id: hub.config.hub_id,
            recipients: hub.config.recipients.clone(),
            hub_key: hub.verify_key_hex(),
            api_token: api,
        })
    })
    .await;
    match r {
        Ok(Ok(reply)) => (StatusCode::CREATED, axum::Json(reply)).into_response(),
        Ok(Err(e)) => refused(&e),
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

async fn bundles(State(s): St, req: axum::extract::Request) -> Response {
    let headers = req.headers().clone();
    let Some(token) = bearer(&headers) else {
        return text(401, "missing device token".into());
    };
    // Who and how big, before a byte of the body is read.
    let s2 = s.clone();
    let device = match tokio::task::spawn_blocking(move || s2.hub.authenticate(&token)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return refused(&e),
        Err(e) => return text(500, e.to_string()),
    };
    let limit = s.hub.config.max_bundle_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return text(413, format!("bundle over the {limit}-byte limit"));
    }
    // Only a few bodies are held in memory at once; the others wait their turn.
    let Ok(_slot) = s.uploads.acquire().await else {
        return text(503, "the hub is shutting down".into());
    };
    let read = axum::body::to_bytes(req.into_body(), limit);
    let body: Bytes = match tokio::time::timeout(s.limits.body_timeout, read).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return text(
                413,
                format!("bundle over the {limit}-byte limit, or cut short"),
            );
        }
        Err(_) => return text(408, "the bundle took too long to arrive".into()),
    };
    let s2 = s.clone();
    let r = tokio::task::spawn_blocking(move || s2.hub.ingest(&body, Some(&device))).await;
    match r {
        Ok(Ok(Ingested {
            receipt_bytes: receipt,
            ..
        })) => signed(StatusCode::CREATED, receipt),
        Ok(Err(e)) => refused(&e),
        Err(e) => text(500, e.to_string()),
    }
}

/// A signed file the hub hands a device (a receipt, a returns file), as bytes.
fn signed(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response()
}

/// The interviews sent back to the calling device, sealed to it, signed by the hub.
async fn returns(State(s): St, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return text(401, "missing device token".into());
    };
    let r = tokio::task::spawn_blocking(move || {
        let device = s.hub.authenticate(&token)?;
        s.hub.returns_for(&device)
    })
    .await;
    match r {
        Ok(Ok((bytes, _))) => signed(StatusCode::OK, bytes),
        Ok(Err(e)) => refused(&e),
        Err(e) => text(500, e.to_string()),
    }
}

async fn forms(State(s): St) -> Response {
    let r = tokio::task::spawn_blocking(move || s.hub.published_forms().0.clone()).await;
    match r {
        Ok(list) => axum::Json::<FormList>(list).into_response(),
        Err(e) => text(500, e.to_string()),
    }
}

async fn form(State(s): St, UrlPath((id, version)): UrlPath<(String, String)>) -> Response {
    let (id2, v2) = (id.clone(), version.clone());
    match tokio::task::spawn_blocking(move || s.hub.form_source(&id2, &v2)).await {
        Ok(Some(src)) => (
            [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
            src,
        )
            .into_response(),
        Ok(None) => text(404, format!("no form {id} version {version}")),
        Err(e) => text(500, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct ImportRequest {
    files: Vec<std::path::PathBuf>,
}

/// Admin calls run hub work inside the server: only from this machine, and only for whoever
/// can read the hub folder's `admin.token` (its owner), not any local account.
fn admin_refusal(s: &Shared, peer: &SocketAddr, headers: &HeaderMap) -> Option<Response> {
    if !peer.ip().is_loopback() {
        return Some(text(
            403,
            "admin calls are accepted from this machine only".into(),
        ));
    }
    let given = bearer(headers).map(|t| keys::sha256_hex(&t));
    if s.admin_hash.is_empty() || given.as_deref() != Some(s.admin_hash.as_str()) {
        return Some(text(
            401,
            "admin calls need the hub's admin token (admin.token in the hub folder)".into(),
        ));
    }
    None
}

async fn admin_import(
    State(s): St,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(req): axum::Json<ImportRequest>,
) -> Response {
    if let Some(r) = admin_refusal(&s, &peer, &headers) {
        return r;
    }
    match tokio::task::spawn_blocking(move || super::transfer::import_files(&s.hub, &req.files))
        .await
    {
        Ok((out, 0)) => text(200, out),
        Ok((out, _)) => text(400, out),
        Err(e) => text(500, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct ReportRequest {
    form: Option<String>,
    #[serde(default)]
    include_training: bool,
    #[serde(default)]
    recount: bool,
}

async fn admin_report(
    State(s): St,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(req): axum::Json<ReportRequest>,
) -> Response {
    if let Some(r) = admin_refusal(&s, &peer, &headers) {
        return r;
    }
    let done = tokio::task::spawn_blocking(move || {
        let (training, recount) = (req.include_training, req.recount);
        super::report::compute(&s.hub, req.form.as_deref(), training, recount)
    })
    .await;
    match done {
        Ok(Ok(rep)) => match serde_json::to_string(&rep) {
            Ok(json) => text(200, json),
            Err(e) => text(500, e.to_string()),
        },
        Ok(Err(e)) => text(400, e),
        Err(e) => text(500, e.to_string()),
    }
}

async fn admin_open(
    State(s): St,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(req): axum::Json<super::open::OpenRequest>,
) -> Response {
    if let Some(r) = admin_refusal(&s, &peer, &headers) {
        return r;
    }
    match tokio::task::spawn_blocking(move || super::open::open_with_hub(&s.hub, &req)).await {
        Ok(Ok(lines)) => text(200, lines),
        Ok(Err(e)) => text(400, e),
        Err(e) => text(500, e.to_string()),
    }
}

async fn admin_export(
    State(s): St,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(req): axum::Json<crate::export::Request>,
) -> Response {
    if let Some(r) = admin_refusal(&s, &peer, &headers) {
        return r;
    }
    let shown = req.out.display().to_string();
    match tokio::task::spawn_blocking(move || super::transfer::export_tables(&s.hub, &req)).await {
        Ok(Ok(lines)) => text(200, format!("{lines}exported to {shown}\n")),
        Ok(Err(e)) => text(400, e),
        Err(e) => text(500, e.to_string()),
    }
}
