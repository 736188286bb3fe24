//! The README's examples, run as written: each `sh` block marked `<!-- example: NAME -->` runs
//! with bash in a fresh folder that holds the repository's `fixtures/` and, as
//! `target/release/flowsight`, the binary under test. The one change made to the text is the
//! UI port: 8080 becomes a free port, so the test never meets a server already running there.

use std::path::Path;
use std::process::Command;

/// The marked examples of README.md: (name, script).
fn examples() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut out = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("<!-- example: ") {
        rest = &rest[start + "<!-- example: ".len()..];
        let name = rest[..rest.find(" -->").unwrap()].to_string();
        let body = &rest[rest.find("```sh\n").unwrap() + "```sh\n".len()..];
        let script = body[..body.find("```").unwrap()].to_string();
        out.push((name, script));
    }
    out
}

/// Runs `script` in a fresh folder like the repository root; returns the folder and stdout.
fn run(script: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::os::unix::fs::symlink(root.join("fixtures"), dir.path().join("fixtures")).unwrap();
    let release = dir.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_flowsight"), release.join("flowsight")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = script
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace(
            "flowsight serve ",
            &format!("flowsight serve --listen 127.0.0.1:{port} "),
        );
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script}\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, stdout)
}

#[test]
fn every_readme_example_runs_as_written_and_does_what_it_says() {
    let examples = examples();
    let names: Vec<&str> = examples.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["import", "generate", "report", "discover", "tokens", "sending"]
    );
    let mut orders_store = None;
    for (name, script) in &examples {
        match name.as_str() {
            "import" => {
                let (dir, said) = run(script);
                assert!(
                    said.contains("imported fixtures/xes/interval.xes: 40 traces, 180 events"),
                    "{said}"
                );
                assert!(said.contains("40 cases, 180 events"), "{said}");
                let dfg: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(dir.path().join("my-log-dfg.json")).unwrap(),
                )
                .unwrap();
                assert_eq!(dfg["cases"], 40);
            }
            "generate" => {
                let (dir, _) = run(script);
                let csv = std::fs::read_to_string(dir.path().join("orders.csv")).unwrap();
                assert_eq!(csv.lines().count(), 201, "a header and the 200 orders");
                orders_store = Some(dir);
            }
            "report" => {
                // It reads the store the previous example wrote, as a reader of the README would.
                let previous = orders_store
                    .as_ref()
                    .expect("the generate example ran first");
                let script = format!(
                    "cp -r {}/orders ./orders\n{script}",
                    previous.path().display()
                );
                let (dir, _) = run(&script);
                let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
                assert!(report.contains("<svg") && report.contains("<b>200</b>instances"));
                let map = std::fs::read_to_string(dir.path().join("map.svg")).unwrap();
                assert!(map.contains("data-mode=\"performance\""));
            }
            "discover" => {
                let (dir, said) = run(script);
                assert!(said.contains("+ key order"), "{said}");
                assert!(
                    said.contains("pointers = [\"/data/orderId\", \"/data/refId\"]"),
                    "{said}"
                );
                assert!(said.contains("imported orders.ndjson"), "{said}");
                let out = Command::new(env!("CARGO_BIN_EXE_flowsight"))
                    .args(["export", "instances", "--format", "json", "--store"])
                    .arg(dir.path().join("zero-config"))
                    .output()
                    .unwrap();
                let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(page["total"], 300, "one instance per generated order");
            }
            "tokens" => {
                let (_, said) = run(script);
                assert!(said.contains("without a token: 401"), "{said}");
                assert!(said.contains("\"events\":0"), "the token reads: {said}");
            }
            "sending" => {
                let (_, said) = run(script);
                assert!(said.contains("\"accepted\":1"), "{said}");
                assert!(
                    said.contains("\"total\": 1") && said.contains("\"label\": \"order=4711\""),
                    "the event joins order 4711: {said}"
                );
            }
            other => panic!("no check for README example {other}"),
        }
    }
}
