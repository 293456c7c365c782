//! Start-up cost of the provider binary as Terraform pays it (2-5 launches per command): time from
//! exec to the handshake line, with `PLUGIN_CLIENT_CERT` set as Terraform sets it, and resident
//! memory once serving. Prints figures; asserts nothing.
//!
//! Run with `scripts/bench` (or `cargo bench --bench startup`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 200;

fn main() {
    let binary = env!("CARGO_BIN_EXE_terraform-provider-gateway");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let client_cert = params.self_signed(&key).unwrap().pem();
    let socket_dir = tempfile::tempdir().unwrap();

    let mut handshake = Vec::with_capacity(RUNS);
    let mut rss_kib = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env(
                "TF_PLUGIN_MAGIC_COOKIE",
                "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
            )
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_CLIENT_CERT", &client_cert)
            .env("PLUGIN_UNIX_SOCKET_DIR", socket_dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        handshake.push(started.elapsed());
        assert!(
            line.starts_with("1|6|unix|"),
            "unexpected handshake {line:?}"
        );
        rss_kib.push(rss_of(child.id()));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    handshake.sort();
    rss_kib.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("startup: {RUNS} launches of {binary}");
    println!(
        "  exec -> handshake line: median {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms",
        ms(handshake[RUNS / 2]),
        ms(handshake[RUNS * 9 / 10]),
        ms(handshake[0]),
        ms(handshake[RUNS - 1])
    );
    println!(
        "  resident memory after the handshake: median {:.1} MiB, max {:.1} MiB",
        rss_kib[RUNS / 2] as f64 / 1024.0,
        rss_kib[RUNS - 1] as f64 / 1024.0
    );
}

/// VmRSS of a process, in KiB.
fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
