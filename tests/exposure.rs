//! Safe to expose: authentication and roles, sign-in, TLS, the refusal to listen beyond this
//! machine without credentials, connection floods, slow clients and a bounded shutdown, on
//! the real binary.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{start, Server};

const ADMIN: &str = "admin-token-0123456789";
const READER: &str = "reader-token-0123456789";
const FEEDER: &str = "feeder-token-0123456789";

/// A credentials file with one token per role.
fn credentials(dir: &Path) -> String {
    let path = dir.join("credentials.toml");
    let tokens = [
        ("ops", ADMIN, "admin"),
        ("dashboards", READER, "read"),
        ("shipping", FEEDER, "ingest"),
    ];
    let text: String = tokens
        .iter()
        .map(|(name, token, role)| {
            format!("[[tokens]]\nname = \"{name}\"\ntoken = \"{token}\"\nrole = \"{role}\"\n")
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn serve(dir: &Path, more: &[&str]) -> Server {
    serve_on(dir, "127.0.0.1:0", more)
}

fn serve_on(dir: &Path, listen: &str, more: &[&str]) -> Server {
    let store = dir.join("store");
    let mut args = vec![
        "serve",
        "--store",
        store.to_str().unwrap(),
        "--listen",
        listen,
        "--no-otlp-ports",
    ];
    args.extend_from_slice(more);
    start(&args, "listening on")
}

/// An agent that neither follows redirects nor treats 4xx/5xx as errors.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn status_of(request: ureq::RequestBuilder<ureq::typestate::WithoutBody>) -> u16 {
    request.call().unwrap().status().as_u16()
}

const EVENT: &str = r#"{"type":"OrderPlacedEvent","id":"e-1","time":"2026-01-05T08:00:00Z","data":{"orderId":"1"}}"#;

#[test]
fn without_credentials_only_health_and_sign_in_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--token", ADMIN]);
    let agent = agent();
    let url = |path: &str| format!("{}{path}", server.url);
    assert_eq!(status_of(agent.get(&url("/healthz"))), 200);
    assert_eq!(status_of(agent.get(&url("/login"))), 200);
    for path in [
        "/map",
        "/api/overview",
        "/metrics",
        "/export/log.xes",
        "/export/map.svg",
    ] {
        let response = agent.get(&url(path)).call().unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{path}"
        );
    }
    let page = agent
        .get(&url("/instances?status=stuck"))
        .header("accept", "text/html")
        .call()
        .unwrap();
    assert_eq!(page.status(), 303, "a browser is sent to sign in");
    assert_eq!(
        page.headers()["location"],
        "/login?next=%2Finstances%3Fstatus%3Dstuck"
    );
    let post = agent.post(&url("/api/events")).send(EVENT).unwrap();
    assert_eq!(post.status(), 401, "nothing is stored without a token");
    let wrong = agent
        .get(&url("/map"))
        .header("authorization", "Bearer admin-token-012345678X")
        .call()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = agent
        .get(&url("/api/overview"))
        .header("authorization", format!("Bearer {ADMIN}"))
        .call()
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[test]
fn each_role_may_do_what_it_names_and_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let file = credentials(dir.path());
    let server = serve(dir.path(), &["--auth", &file]);
    let agent = agent();
    let url = |path: &str| format!("{}{path}", server.url);
    let bearer = |token: &str| format!("Bearer {token}");
    let post = |path: &str, token: &str| {
        agent
            .post(&url(path))
            .header("authorization", bearer(token))
            .send(EVENT)
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        status_of(
            agent
                .get(&url("/metrics"))
                .header("authorization", bearer(READER))
        ),
        200
    );
    assert_eq!(
        post("/api/events", READER),
        403,
        "a reader cannot send events"
    );
    assert_eq!(post("/api/events", FEEDER), 200, "an ingest token can");
    assert_eq!(
        post("/import", FEEDER),
        403,
        "an ingest token cannot import"
    );
    assert_ne!(
        post("/import", ADMIN),
        403,
        "an admin can (this body is no upload, so it is refused for that)"
    );
    let overview: serde_json::Value = agent
        .get(&url("/api/overview"))
        .header("authorization", bearer(READER))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(
        overview["events"], 1,
        "exactly the ingest token's event was stored: {overview}"
    );
}

#[test]
fn a_person_signs_in_once_with_a_strict_http_only_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--token", ADMIN]);
    let agent = agent();
    let url = |path: &str| format!("{}{path}", server.url);
    let refused = agent
        .post(&url("/login"))
        .send_form([("token", "not-the-token-at-all"), ("next", "/variants")])
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());
    let signed_in = agent
        .post(&url("/login"))
        .send_form([("token", ADMIN), ("next", "/variants")])
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/variants");
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no Secure flag over plain HTTP: {cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let page = agent
        .get(&url("/variants"))
        .header("cookie", &session)
        .call()
        .unwrap();
    assert_eq!(page.status(), 200);
    let out = agent
        .post(&url("/logout"))
        .header("cookie", &session)
        .send_empty()
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(
        status_of(agent.get(&url("/variants")).header("cookie", &session)),
        401,
        "signed out"
    );
}

#[test]
fn listening_beyond_this_machine_needs_credentials_or_an_explicit_flag() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args([
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
            "--no-otlp-ports",
        ])
        .env_remove("FLOWSIGHT_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 without authentication")
            && stderr.contains("--insecure-no-auth"),
        "{stderr}"
    );
    let on_purpose = serve_on(dir.path(), "0.0.0.0:0", &["--insecure-no-auth"]);
    assert!(
        on_purpose.url.starts_with("http://0.0.0.0:"),
        "it serves: {}",
        on_purpose.url
    );
    drop(on_purpose);
    let with_token = serve_on(dir.path(), "0.0.0.0:0", &["--token", ADMIN]);
    assert!(with_token.url.starts_with("http://0.0.0.0:"));
}

#[test]
fn tls_serves_the_ui_with_the_given_certificate_and_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_certificates(dir.path());
    let server = serve(
        dir.path(),
        &[
            "--token",
            ADMIN,
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let pem = std::fs::read(&ca).unwrap();
    let root = ureq::tls::Certificate::from_pem(&pem).unwrap().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
                    root,
                ])))
                .build(),
        )
        .build()
        .into();
    let signed_in = agent
        .post(&format!("{}/login", server.url))
        .send_form([("token", ADMIN)])
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert!(signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("; Secure"));
    let plain = server.url.replace("https://", "http://");
    let answer = ureq::get(&format!("{plain}/healthz")).call();
    assert!(answer.is_err(), "plain HTTP is not answered on a TLS port");
}

/// A test CA and a certificate for 127.0.0.1 it signed, made with `openssl`: (CA, cert, key).
fn test_certificates(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: [Vec<String>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=flowsight test CA",
                "-keyout",
                &path("ca.key"),
                "-out",
                &path("ca.pem"),
            ],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .collect(),
        [
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                &path("key.pem"),
                "-out",
                &path("leaf.csr"),
            ],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .collect(),
        [
            "x509",
            "-req",
            "-in",
            &path("leaf.csr"),
            "-CA",
            &path("ca.pem"),
            "-CAkey",
            &path("ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &path("leaf.ext"),
            "-out",
            &path("cert.pem"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    ];
    for step in steps {
        let made = std::process::Command::new("openssl")
            .args(&step)
            .output()
            .expect("openssl runs");
        assert!(
            made.status.success(),
            "openssl {step:?}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

/// A raw GET of `/healthz`; the time to a complete `200` answer.
fn health_check_time(server: &Server) -> Duration {
    let addr = server.url.trim_start_matches("http://");
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    start.elapsed()
}

#[test]
fn a_flood_of_idle_connections_leaves_the_ui_answering_within_a_second() {
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--max-connections", "1000"]);
    let addr = server.url.trim_start_matches("http://").to_string();
    let flood: Vec<TcpStream> = (0..10_000)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    assert!(
        flood.len() >= 9_000,
        "the flood opened {} connections",
        flood.len()
    );
    let took = health_check_time(&server);
    assert!(
        took < Duration::from_secs(1),
        "the UI took {took:?} during the flood"
    );
}

#[test]
fn slow_senders_are_cut_off_and_never_hold_the_ui() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(
        dir.path(),
        &["--max-connections", "100", "--header-timeout", "2s"],
    );
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut slow: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    for second in 0..4 {
        for stream in &mut slow {
            let _ = stream.write_all(if second == 0 {
                b"GET /map HTTP/1.1\r\n"
            } else {
                b"X: y\r\n"
            });
        }
        let took = health_check_time(&server);
        assert!(
            took < Duration::from_secs(1),
            "the UI took {took:?} among slow senders"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let mut closed = 0;
    for stream in &mut slow {
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 512];
        // Closed (0 bytes) or closed with an error answer; a live connection times out here.
        if stream.read(&mut buf).is_ok() {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        slow.len(),
        "every slow sender was cut off after the header timeout"
    );
}

#[test]
fn sigterm_ends_the_server_within_ten_seconds_even_with_a_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), &[]);
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut hanging = TcpStream::connect(&addr).unwrap();
    hanging
        .write_all(b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n{\"type\":")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.wait_for_exit(Duration::from_secs(10));
    assert!(status.is_some(), "still running 10 s after SIGTERM");
    assert!(start.elapsed() < Duration::from_secs(10));
    drop(hanging);
}
