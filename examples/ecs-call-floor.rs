//! What one ECS call costs ecstpl's process, with nothing else around it: the refresh's
//! DescribeTaskDefinition (with tags, raw JSON kept, parsed into a `Revision`) through the
//! same adapter, settings and single-threaded runtime as the provider, made `--calls` times
//! one after another. Prints one JSON line: CPU (user + system, `getrusage`) and wall time
//! per call. Used by `scripts/bench`, next to botocore signing and parsing the same calls.
//!
//! Usage: ecs-call-floor --endpoint http://127.0.0.1:PORT --task-definition ARN [--calls N]
//! (credentials and region from the environment, as the provider takes them).

use std::process::ExitCode;
use std::time::Instant;

use ecstpl::aws::{Ecs, Settings};

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return f64::NAN;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn main() -> ExitCode {
    let mut endpoint = None;
    let mut task_definition = None;
    let mut calls: u32 = 200;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--endpoint", Some(v)) => endpoint = Some(v),
            ("--task-definition", Some(v)) => task_definition = Some(v),
            ("--calls", Some(v)) => match v.parse() {
                Ok(n) if n > 0 => calls = n,
                _ => {
                    eprintln!("ecs-call-floor: --calls takes a positive number, not {v:?}");
                    return ExitCode::from(2);
                }
            },
            (other, _) => {
                eprintln!("ecs-call-floor: unexpected argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(endpoint), Some(task_definition)) = (endpoint, task_definition) else {
        eprintln!("ecs-call-floor: --endpoint and --task-definition are required");
        return ExitCode::from(2);
    };
    // The provider's runtime, so the call costs what it costs there.
    let runtime = match ecstpl::plugin::server::runtime() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("ecs-call-floor: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        // The calls come one after another, faster than ECS's published read rate allows: the
        // floor of one call is measured unpaced, as for an account with raised limits
        // (ECSTPL_ECS_RATE_LIMITS, which scripts/bench sets for this row).
        let ecs_rate_limits = match std::env::var("ECSTPL_ECS_RATE_LIMITS") {
            Ok(text) => match ecstpl::aws::RateLimits::parse(&text) {
                Ok(limits) => limits,
                Err(err) => {
                    eprintln!("ecs-call-floor: ECSTPL_ECS_RATE_LIMITS: {err}");
                    return ExitCode::from(2);
                }
            },
            Err(_) => ecstpl::aws::RateLimits::default(),
        };
        let settings = Settings {
            ecs_endpoint: Some(endpoint),
            ecs_rate_limits,
            ..Settings::default()
        };
        let ecs = match Ecs::connect(&settings).await {
            Ok(ecs) => ecs,
            Err(err) => {
                eprintln!("ecs-call-floor: {err}");
                return ExitCode::FAILURE;
            }
        };
        // Warm-up: credentials, the connector and the endpoint resolver are set up once per
        // process in the provider too.
        for _ in 0..5 {
            if let Err(err) = ecs.describe_task_definition(&task_definition).await {
                eprintln!("ecs-call-floor: {err}");
                return ExitCode::FAILURE;
            }
        }
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        for _ in 0..calls {
            match ecs.describe_task_definition(&task_definition).await {
                Ok(Some(_)) => {}
                Ok(None) => {
                    eprintln!("ecs-call-floor: {task_definition} does not exist");
                    return ExitCode::FAILURE;
                }
                Err(err) => {
                    eprintln!("ecs-call-floor: {err}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let (cpu, wall) = (cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
        println!(
            "{{\"calls\":{calls},\"cpu_ms_per_call\":{:.4},\"wall_ms_per_call\":{:.4}}}",
            cpu * 1000.0 / f64::from(calls),
            wall * 1000.0 / f64::from(calls)
        );
        ExitCode::SUCCESS
    })
}
