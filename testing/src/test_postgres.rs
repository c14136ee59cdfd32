//! A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` from
//! `/usr/lib/postgresql/*/bin`, in a temporary folder, on a free loopback port, stopped and
//! removed on drop. When `SWITCHBOARD_TEST_POSTGRES_URL` is set, that server is used instead
//! and each [`TestPostgres::database`] is a fresh database on it.
//!
//! PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user in a
//! folder it owns. When no server can be started the test fails with the reason; it never
//! silently skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub const URL_VAR: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

pub struct TestPostgres {
    /// URL of the maintenance database, used to create test databases.
    admin_url: String,
    cluster: Option<Cluster>,
}

struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    run_as_postgres: bool,
}

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

impl TestPostgres {
    /// Starts a cluster (or uses `SWITCHBOARD_TEST_POSTGRES_URL`). Panics with the reason when
    /// neither works.
    pub fn start() -> TestPostgres {
        if let Ok(url) = std::env::var(URL_VAR) {
            if !url.is_empty() {
                return TestPostgres {
                    admin_url: url,
                    cluster: None,
                };
            }
        }
        match Self::start_cluster() {
            Ok(pg) => pg,
            Err(why) => panic!(
                "this test needs PostgreSQL and none could be started: {why}\n\
                 install the `postgresql` package (scripts/test does) or set {URL_VAR}"
            ),
        }
    }

    fn start_cluster() -> Result<TestPostgres, String> {
        let bin = find_bin()?;
        let run_as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("switchboard-pg")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let data = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        std::fs::create_dir(&sockets).map_err(|e| format!("socket dir: {e}"))?;
        if run_as_postgres {
            for path in [dir.path(), sockets.as_path()] {
                give_to_postgres(path)?;
            }
        }
        let initdb = bin.join("initdb");
        let data_arg = data.display().to_string();
        run(
            &initdb,
            &[
                "-D",
                &data_arg,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            run_as_postgres,
        )?;
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
                sockets.display()
            );
            let log = dir.path().join("postgres.log").display().to_string();
            let started = run(
                &bin.join("pg_ctl"),
                &[
                    "-D", &data_arg, "-l", &log, "-o", &options, "-w", "-t", "30", "start",
                ],
                run_as_postgres,
            );
            match started {
                Ok(()) => {
                    return Ok(TestPostgres {
                        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                        cluster: Some(Cluster {
                            bin,
                            data,
                            _dir: dir,
                            run_as_postgres,
                        }),
                    })
                }
                Err(e) => {
                    last = format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default())
                }
            }
        }
        Err(format!("pg_ctl start failed: {last}"))
    }

    /// A new, empty database on the server; its URL.
    pub async fn database(&self) -> String {
        let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
        let name = format!("switchboard_test_{}_{n}", std::process::id());
        let (client, connection) = tokio_postgres::connect(&self.admin_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect to the test PostgreSQL: {e}"));
        let driver = tokio::spawn(connection);
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client.batch_execute(&sql).await.unwrap_or_else(|e| {
                panic!("{sql}: {}", switchboard_api::store::postgres::pg_error(&e))
            });
        }
        drop(client);
        let _ = driver.await;
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(base, _)| base);
        format!("{base}/{name}")
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if let Some(cluster) = &self.cluster {
            let data = cluster.data.display().to_string();
            let _ = run(
                &cluster.bin.join("pg_ctl"),
                &["-D", &data, "-m", "immediate", "-w", "stop"],
                cluster.run_as_postgres,
            );
        }
    }
}

fn find_bin() -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("/usr/lib/postgresql: {e}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin/initdb".into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn give_to_postgres(path: &Path) -> Result<(), String> {
    let status = Command::new("chown")
        .arg("postgres:")
        .arg(path)
        .status()
        .map_err(|e| format!("chown: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "chown postgres: {} failed (is there a `postgres` user?)",
            path.display()
        ))
    }
}

fn run(program: &Path, args: &[&str], as_postgres: bool) -> Result<(), String> {
    let output: std::io::Result<Output> = if as_postgres {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args)
            .output()
    } else {
        Command::new(program).args(args).output()
    };
    let output = output.map_err(|e| format!("{}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} {}: {}{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
