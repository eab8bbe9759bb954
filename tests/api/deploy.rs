//! The deployment files against the real binary (no container engine needed): each
//! docker-compose.yml service's command and STUDYGRAPH_* environment, run as the compose file
//! says on a fresh PostgreSQL database (`import` of a catalog, then `serve`), answer as they
//! should; the Dockerfile's health check path answers, and its runtime user is not root.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{Backend, spawn_app};

const COMPOSE: &str = include_str!("../../docker-compose.yml");
const DOCKERFILE: &str = include_str!("../../Dockerfile");

/// A service's `command: [...]` and its `STUDYGRAPH_*` environment, read from the compose
/// file (services are block mappings indented by two spaces; commands are JSON-style lists).
fn service(name: &str) -> (Vec<String>, Vec<(String, String)>) {
    let header = format!("  {name}:");
    let body: Vec<&str> = COMPOSE
        .lines()
        .skip_while(|line| *line != header)
        .skip(1)
        .take_while(|line| line.is_empty() || line.starts_with("   "))
        .collect();
    assert!(!body.is_empty(), "no service {name} in docker-compose.yml");
    let command = body
        .iter()
        .find_map(|line| line.trim().strip_prefix("command:"))
        .unwrap_or_else(|| panic!("service {name} has no command"));
    let command: Vec<String> = serde_json::from_str(command.trim()).unwrap();
    let env = body
        .iter()
        .filter_map(|line| line.trim().split_once(": "))
        .filter(|(key, _)| key.starts_with("STUDYGRAPH_"))
        .map(|(key, value)| (key.to_owned(), value.trim().to_owned()))
        .collect();
    (command, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_services_run_as_written_on_postgres() {
    assert!(DOCKERFILE.contains("\nUSER studygraph\n"), "runtime user");
    assert!(DOCKERFILE.contains("ENTRYPOINT [\"studygraph\"]"));
    let health = DOCKERFILE
        .lines()
        .find_map(|line| line.split_once("http://127.0.0.1:8000"))
        .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned())
        .expect("a HEALTHCHECK with a URL");
    let Some(app) = spawn_app(Backend::Postgres, false).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("studygraph-deploy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // The catalogs volume: the file the import service reads.
    let (import, import_env) = service("import");
    let catalog = import
        .iter()
        .find(|arg| arg.starts_with("/catalogs/"))
        .expect("the import reads from the catalogs volume");
    let file = dir.join(catalog.trim_start_matches("/catalogs/"));
    std::fs::write(&file, crate::import_dcat::FIXTURE).unwrap();
    let run = |args: &[String], env: &[(String, String)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_studygraph"));
        command.args(args).env("RUST_LOG", "warn");
        for (key, value) in env {
            // The compose file's database and address, pointed at this test's.
            let value = match key.as_str() {
                "STUDYGRAPH_DATABASE_URL" => app.url.clone(),
                _ => value.clone(),
            };
            command.env(key, value);
        }
        command
    };
    assert!(
        import_env
            .iter()
            .any(|(k, _)| k == "STUDYGRAPH_DATABASE_URL")
    );
    let args: Vec<String> = import
        .iter()
        .map(|arg| match arg == catalog {
            true => file.display().to_string(),
            false => arg.clone(),
        })
        .collect();
    let imported = run(&args, &import_env).output().unwrap();
    assert!(
        imported.status.success(),
        "import: {}",
        String::from_utf8_lossy(&imported.stderr)
    );

    let (serve, serve_env) = service("studygraph");
    let listen = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listen.local_addr().unwrap();
    drop(listen);
    assert!(serve_env.iter().any(|(k, _)| k == "STUDYGRAPH_LISTEN"));
    let serve_env: Vec<(String, String)> = serve_env
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            "STUDYGRAPH_LISTEN" => (key, address.to_string()),
            _ => (key, value),
        })
        .collect();
    let mut server = run(&serve, &serve_env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = |path: &str| {
        let url = format!("http://{address}{path}");
        async move {
            tokio::task::spawn_blocking(move || {
                Command::new("curl")
                    .args(["-fsS", "-H", "content-type: application/json"])
                    .args(["--max-time", "5", &url])
                    .output()
            })
            .await
            .unwrap()
        }
    };
    let mut ready = false;
    for _ in 0..100 {
        if client(&health).await.is_ok_and(|o| o.status.success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let query = r#"{"query":"{ datasets(first: 10) { totalCount nodes { title } } }"}"#;
    let url = format!("http://{address}/graphql");
    let answer = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args([
                "-fsS",
                "-H",
                "content-type: application/json",
                "-d",
                query,
                &url,
            ])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    std::fs::remove_dir_all(&dir).ok();
    assert!(ready, "the health check path {health} never answered");
    let body = String::from_utf8_lossy(&answer.stdout);
    assert!(
        body.contains("Fixture Keyless Court Records"),
        "the served graph holds the imported catalog: {body}"
    );
    app.finish().await;
}
