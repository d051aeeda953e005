//! What a platform team meets in its first week: answers that are lost after ECS acted,
//! endpoints that answer with error pages or never, interrupts in the middle of an apply or a
//! deploy, and a fleet of CI jobs throttled by ECS. Every step ends either in success or in a
//! clear error, and nothing is left behind that state or the deploy history does not know.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::proxy::{Fault, Lost, RecordingProxy, Rollout, Scenario};
use crate::support::templates::{PLAIN_HEADER, PROVIDER_HEADER};
use crate::support::{Moto, Workspace, bootstrap_service, revisions, terraform_binaries};

use crate::support::{ecstpl, ecstpl_command};

fn template_config(name: &str, family: &str, level: &str) -> String {
    format!(
        "resource \"ecstpl_template\" \"{name}\" {{\n  family = \"{family}\"\n  deploy_family = \"{family}-deployed\"\n  container_definitions = jsonencode([{{ name = \"app\", image = \"placeholder\", memory = 128, environment = [{{ name = \"LEVEL\", value = \"{level}\" }}] }}])\n}}\n"
    )
}

#[test]
fn a_registration_whose_answer_was_lost_is_adopted_not_registered_twice() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    // The registration reaches ECS, and its answer is lost: a 500, then a reset.
    for (level, lost) in [("a", Lost::ServerError), ("b", Lost::Reset)] {
        proxy.inject(Fault::AnswerLost {
            operation: Some("RegisterTaskDefinition".into()),
            times: 1,
            answer: lost,
        });
        workspace.write(
            "main.tf",
            &format!(
                "{PROVIDER_HEADER}\n{}",
                template_config("web", "lost", level)
            ),
        );
        workspace.apply(&[]);
    }
    assert_eq!(proxy.injected(), 2);
    let active = revisions(&moto.endpoint(), "lost", "ACTIVE");
    let inactive = revisions(&moto.endpoint(), "lost", "INACTIVE");
    assert_eq!(active.len(), 1, "one ACTIVE template revision: {active:?}");
    assert_eq!(
        inactive.len(),
        1,
        "two registrations in all, no twin: {active:?} {inactive:?}"
    );
    let state = workspace.run(&["state", "show", "-no-color", "ecstpl_template.web"]);
    assert!(state.stdout.contains(&active[0]), "{}", state.stdout);
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());

    // The same for a deploy: one revision in the deploy family.
    proxy.simulate_rollouts(Rollout::CompleteAfter(0));
    bootstrap_service(&proxy.endpoint(), "api");
    proxy.inject(Fault::AnswerLost {
        operation: Some("RegisterTaskDefinition".into()),
        times: 1,
        answer: Lost::Reset,
    });
    let deployed = ecstpl(
        &proxy.endpoint(),
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "api",
            "--image",
            "app=repo:v1",
            "--poll-interval",
            "50ms",
        ],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    assert_eq!(revisions(&moto.endpoint(), "api", "ACTIVE").len(), 1);
}

#[test]
fn an_error_page_instead_of_an_ecs_error_is_reported_with_its_status_and_start() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.inject(Fault::HtmlServerError {
        operation: Some("DescribeServices".into()),
        times: 100,
    });
    let output = ecstpl(
        &proxy.endpoint(),
        &[
            "status",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--max-retries",
            "1",
        ],
    );
    assert_eq!(
        output.code,
        3,
        "an AWS error has its own exit code: {}",
        output.combined()
    );
    assert!(
        output.stderr.contains("HTTP 500") && output.stderr.contains("500 Internal Server Error"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_endpoint_that_never_answers_ends_within_the_timeout() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    bootstrap_service(&moto.endpoint(), "web");
    proxy.inject(Fault::NeverAnswers {
        operation: None,
        times: 1000,
    });
    let started = Instant::now();
    let output = ecstpl(
        &proxy.endpoint(),
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=x",
            "--timeout",
            "3s",
        ],
    );
    assert_eq!(output.code, 5, "{}", output.combined());
    assert!(
        output.stderr.contains("did not finish within --timeout 3s"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("before changing anything"),
        "{}",
        output.stderr
    );
    eprintln!(
        "deploy against a black hole with --timeout 3s ended after {:?}",
        started.elapsed()
    );
}

/// With the default `max_retries` (25, as the AWS provider), a closed port does not use the
/// retries up: they stop once nothing has answered for 20 s, with an error that says so.
#[test]
fn an_unreachable_endpoint_fails_an_apply_with_a_clear_error_and_logs_each_attempt() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &format!("http://127.0.0.1:{closed}"));
    workspace.write(
        "main.tf",
        &format!(
            "{}\n{}",
            PLAIN_HEADER,
            template_config("web", "web-template", "a")
        ),
    );
    let started = Instant::now();
    let output = workspace.run_with_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[("TF_LOG_PROVIDER", "info")],
    );
    assert!(!output.success());
    let text = output.combined();
    assert!(text.contains("ECS has answered nothing for"), "{text}");
    assert!(
        text.contains("Connection refused"),
        "the last reason: {text}"
    );
    let attempts = text.matches("ECS call attempt failed").count();
    assert!(
        (2..26).contains(&attempts),
        "each failed attempt is logged, and the 26 attempts of the default are not all made: {attempts}\n{text}"
    );
    assert!(!text.contains("inconsistent result"), "{text}");
    eprintln!(
        "apply against a closed port (default max_retries) failed after {:?} and {attempts} attempts",
        started.elapsed()
    );
}

/// An endpoint that accepts and never answers: each attempt is cut at 10 s and logged as a
/// timeout; retries stop once 20 s have passed without an answer, long before the default's
/// 9 attempts.
#[test]
fn an_endpoint_that_never_answers_fails_status_after_the_silence_budget() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    bootstrap_service(&moto.endpoint(), "web");
    proxy.inject(Fault::NeverAnswers {
        operation: None,
        times: 1000,
    });
    let started = Instant::now();
    let output = ecstpl(
        &proxy.endpoint(),
        &["status", "--cluster", "prod", "--service", "web"],
    );
    assert_eq!(output.code, 3, "{}", output.combined());
    assert!(
        output.stderr.contains("ECS has answered nothing for"),
        "{}",
        output.stderr
    );
    let attempts = proxy.calls().len();
    let logged = output
        .stderr
        .lines()
        .filter(|l| l.contains("ECS call attempt failed") && l.contains("timed out"))
        .count();
    assert_eq!(
        logged, attempts,
        "each timed-out attempt is logged: {}",
        output.stderr
    );
    assert!(
        (2..=3).contains(&attempts),
        "attempts made: {:?}",
        proxy.calls()
    );
    eprintln!(
        "status against a black hole (default max_retries) failed after {:?} and {attempts} attempts",
        started.elapsed()
    );
}

/// Ctrl-C, `times` times: SIGINT to the whole process group, as a terminal sends it
/// (Terraform 1.0 runs as a wrapper process and its child).
fn interrupt(child: &Child, times: usize) {
    for _ in 0..times {
        let _ = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", child.id())])
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn an_interrupted_apply_leaves_no_revision_that_state_does_not_know() {
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        for interrupts in [1, 2] {
            let proxy = RecordingProxy::start(&moto.endpoint());
            // Registrations reach ECS at once and answer slowly: in flight when the interrupt
            // comes, they land whatever happens to the provider.
            proxy.inject(Fault::SlowAnswer {
                operation: Some("RegisterTaskDefinition".into()),
                delay: Duration::from_millis(1500),
            });
            let workspace = Workspace::new(&terraform, &proxy.endpoint());
            let prefix = format!("int{interrupts}v{}", terraform.version.replace('.', ""));
            let mut config = PROVIDER_HEADER.to_string();
            for i in 0..20 {
                config.push_str(&template_config(
                    &format!("t{i}"),
                    &format!("{prefix}-{i}"),
                    "a",
                ));
            }
            workspace.write("main.tf", &config);
            let child = workspace.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
            // Interrupt while registrations are in flight.
            let deadline = Instant::now() + Duration::from_secs(60);
            while proxy.count("RegisterTaskDefinition") < 5 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            interrupt(&child, interrupts);
            let started = Instant::now();
            let interrupted = child.wait_with_output().unwrap();
            eprintln!(
                "Terraform {} with {interrupts} interrupt(s) exited {:?} after {:?}",
                terraform.version,
                interrupted.status.code(),
                started.elapsed()
            );
            assert!(
                !interrupted.status.success(),
                "{}\n{}",
                String::from_utf8_lossy(&interrupted.stdout),
                String::from_utf8_lossy(&interrupted.stderr)
            );
            // The next run converges: every template registered exactly once.
            std::thread::sleep(Duration::from_millis(2000));
            workspace.apply(&[]);
            for i in 0..20 {
                let family = format!("{prefix}-{i}");
                let all: Vec<String> = revisions(&moto.endpoint(), &family, "ACTIVE")
                    .into_iter()
                    .chain(revisions(&moto.endpoint(), &family, "INACTIVE"))
                    .collect();
                assert_eq!(all.len(), 1, "{family}: {all:?}");
            }
            let (code, output) = workspace.plan_detailed_exitcode(&[]);
            assert_eq!(code, 0, "{}", output.combined());
        }
    }
}

#[test]
fn an_interrupted_deploy_says_what_it_left_and_takes_back_an_unused_registration() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.deployment_scenario(Scenario::Succeed { steps: 100_000 });
    bootstrap_service(&proxy.endpoint(), "web");
    // Two images: a re-run of the same deploy would find it already live and change nothing.
    for (signal, code, image) in [("-TERM", 143, "app=repo:v1"), ("-INT", 130, "app=repo:v1b")] {
        let child = ecstpl_command(
            &proxy.endpoint(),
            &[
                "deploy",
                "--cluster",
                "prod",
                "--service",
                "web",
                "--image",
                image,
                "--poll-interval",
                "100ms",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains("done so far: registered web:"), "{stderr}");
        assert!(stderr.contains("the deployment goes on in ECS"), "{stderr}");
    }

    // Stopped between registering and updating the service: the registration is taken back.
    proxy.inject(Fault::Latency {
        operation: Some("UpdateService".into()),
        delay: Duration::from_secs(5),
    });
    let before = revisions(&moto.endpoint(), "web", "ACTIVE").len();
    let child = ecstpl_command(
        &proxy.endpoint(),
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:v2",
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("deregistered") && stderr.contains("which nothing used"),
        "{stderr}"
    );
    assert_eq!(
        revisions(&moto.endpoint(), "web", "ACTIVE").len(),
        before,
        "no unused revision left"
    );
}

#[test]
fn a_fleet_of_deploys_rides_out_registration_throttling() {
    const SERVICES: usize = 30;
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(0));
    for i in 0..SERVICES {
        bootstrap_service(&proxy.endpoint(), &format!("svc{i}"));
    }
    proxy.clear();
    // As ECS throttles RegisterTaskDefinition: a burst of 20, then 1 per second.
    proxy.inject(Fault::RateLimit {
        operation: Some("RegisterTaskDefinition".into()),
        burst: 20.0,
        per_second: 1.0,
    });
    let started = Instant::now();
    let children: Vec<Child> = (0..SERVICES)
        .map(|i| {
            ecstpl_command(
                &proxy.endpoint(),
                &[
                    "deploy",
                    "--cluster",
                    "prod",
                    "--service",
                    &format!("svc{i}"),
                    "--image",
                    "app=repo:v1",
                    "--poll-interval",
                    "200ms",
                    "--timeout",
                    "120s",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut failed = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        if !output.status.success() {
            failed.push(format!(
                "svc{i}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    let elapsed = started.elapsed();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // Every deploy registered once (no twin), and the throttle did bite: 30 registrations
    // against a burst of 20 make at least 10 throttled attempts.
    let registrations = proxy.count("RegisterTaskDefinition");
    assert!(
        proxy.injected() >= (SERVICES as u32 - 20),
        "throttled attempts: {}",
        proxy.injected()
    );
    assert_eq!(
        registrations,
        SERVICES + proxy.injected() as usize,
        "one accepted registration per deploy plus one per throttled attempt"
    );
    eprintln!(
        "{SERVICES} concurrent deploys under throttling (burst 20, 1/s): {:?}, {} throttled attempts; the throttle's floor is about {}s",
        elapsed,
        proxy.injected(),
        SERVICES - 20
    );
}
