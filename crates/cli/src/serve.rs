//! `thermolab serve`: the built site over HTTP, for a lecture hall without
//! internet. A page loaded from file:// cannot fetch its wasm, so a teacher
//! needs a server; this one serves a directory (never a path outside it)
//! with the MIME types browsers insist on (`application/wasm` for
//! streaming compilation), on localhost or on the room's LAN.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use tiny_http::{Header, Request, Response, Server, StatusCode};

/// Requests served at once: a class of laptops fetching the same site.
const WORKERS: usize = 8;

/// Serves `root` at `host:port` until the process is stopped, after
/// printing the URLs to open (and, on a LAN, a QR code of the first).
pub fn serve(root: &Path, host: IpAddr, port: u16) -> Result<(), String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
    if !root.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html: build the site first (cargo xtask dist) or name its folder",
            root.display()
        ));
    }
    let server = Server::http(SocketAddr::new(host, port))
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let port = server
        .server_addr()
        .to_ip()
        .map_or(port, |address| address.port());
    let urls = urls(host, port);
    let mut said = format!("Serving {} at:\n", root.display());
    for url in &urls {
        said.push_str(&format!("  {url}\n"));
    }
    if host.is_unspecified()
        && let Some(lan) = urls.iter().find(|url| !url.contains("127.0.0.1"))
        && let Ok(code) = QrCode::new(lan.as_bytes())
    {
        said.push_str(&code.render::<Dense1x2>().quiet_zone(true).build());
        said.push('\n');
    }
    said.push_str("Stop with Ctrl-C.\n");
    // Whoever started the server may stop reading its output: it serves on.
    let mut out = std::io::stdout();
    let _ = out.write_all(said.as_bytes()).and_then(|()| out.flush());
    let server = Arc::new(server);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            let root = root.clone();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    respond(&root, request);
                }
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| "a server thread stopped".to_string())?;
    }
    Ok(())
}

/// The addresses students can type: localhost, and every IPv4 address of
/// the machine's interfaces when listening on all of them.
fn urls(host: IpAddr, port: u16) -> Vec<String> {
    let mut hosts = vec![];
    if host.is_unspecified() {
        hosts.push(IpAddr::from([127, 0, 0, 1]));
        if let Ok(interfaces) = if_addrs::get_if_addrs() {
            hosts.extend(
                interfaces
                    .iter()
                    .filter(|i| !i.is_loopback())
                    .map(if_addrs::Interface::ip)
                    .filter(IpAddr::is_ipv4),
            );
        }
    } else {
        hosts.push(host);
    }
    hosts
        .into_iter()
        .map(|ip| format!("http://{}/", SocketAddr::new(ip, port)))
        .collect()
}

fn respond(root: &Path, request: Request) {
    let response = match resolve(root, request.url()) {
        Ok(path) => match std::fs::read(&path) {
            Ok(body) => Response::from_data(body)
                .with_header(header("Content-Type", content_type(&path)))
                // A page reloaded after a rebuild gets the new files.
                .with_header(header("Cache-Control", "no-cache")),
            Err(_) => status(404, "not found"),
        },
        Err(code) => status(
            code,
            if code == 403 {
                "forbidden"
            } else {
                "not found"
            },
        ),
    };
    // A client that went away is no error of the server's.
    let _ = request.respond(response);
}

fn status(code: u16, text: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(text)
        .with_status_code(StatusCode(code))
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid ASCII header")
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("md" | "txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a request URL names inside `root`, or the status to answer:
/// 403 for a path that leaves `root` (`..`, encoded or not, a backslash, a
/// link pointing out), 404 for one that is not there. A directory means
/// its index.html.
fn resolve(root: &Path, url: &str) -> Result<PathBuf, u16> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| 404_u16)?;
    if decoded.contains(['\\', '\0']) {
        return Err(403);
    }
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(403);
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file.push("index.html");
    }
    let file = file.canonicalize().map_err(|_| 404_u16)?;
    if !file.starts_with(root) {
        return Err(403);
    }
    if file.is_file() { Ok(file) } else { Err(404) }
}
