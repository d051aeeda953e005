//! Provider start → handshake line, the cost Terraform pays for every provider process (one
//! per validate, plan, apply…). Prints median and p90 over N starts of the built binary, next
//! to the floor: spawning `/bin/true` and waiting for it to exit.
//!
//! Run: `cargo bench --bench startup` (N defaults to 100; `ECSTPL_BENCH_STARTS=50` to change).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-ecstpl");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
// A Terraform-shaped client certificate (self-signed P-521 CA), so AutoMTLS setup is included.
const CLIENT_CERT: &str = include_str!("terraform-client-cert.pem");

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn time_handshake(with_tls: bool) -> Duration {
    let mut command = Command::new(PROVIDER);
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("TF_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if with_tls {
        command.env("PLUGIN_CLIENT_CERT", CLIENT_CERT);
    } else {
        command.env_remove("PLUGIN_CLIENT_CERT");
    }
    let start = Instant::now();
    let mut child = command.spawn().expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    let elapsed = start.elapsed();
    assert!(
        line.starts_with("1|6|unix|"),
        "unexpected handshake: {line:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

fn time_true() -> Duration {
    let start = Instant::now();
    let status = Command::new("true").status().expect("spawn true");
    assert!(status.success());
    start.elapsed()
}

fn report(name: &str, mut samples: Vec<Duration>, floor: Duration) {
    samples.sort();
    let median = percentile(&samples, 0.5);
    println!(
        "{name:<28} n={:<4} median={:>8.2?} p90={:>8.2?} min={:>8.2?}  ({:.1}x the spawn floor)",
        samples.len(),
        median,
        percentile(&samples, 0.9),
        samples[0],
        median.as_secs_f64() / floor.as_secs_f64()
    );
}

fn main() {
    let starts: usize = std::env::var("ECSTPL_BENCH_STARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    // Warm the page cache once.
    let _ = time_handshake(true);
    let mut floor: Vec<Duration> = (0..starts).map(|_| time_true()).collect();
    floor.sort();
    let floor_median = percentile(&floor, 0.5);
    report("spawn /bin/true (floor)", floor, floor_median);
    report(
        "start → handshake (AutoMTLS)",
        (0..starts).map(|_| time_handshake(true)).collect(),
        floor_median,
    );
    report(
        "start → handshake (plain)",
        (0..starts).map(|_| time_handshake(false)).collect(),
        floor_median,
    );
    let size = std::fs::metadata(PROVIDER).map(|m| m.len()).unwrap_or(0);
    println!(
        "binary {PROVIDER}: {:.1} MiB",
        size as f64 / (1024.0 * 1024.0)
    );
}
