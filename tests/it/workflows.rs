//! Workflow tests: seeded random sequences of what users do, one after the other, against the
//! rollout simulator and real Terraform, with the documented contract checked after every step.
//! The bugs that single-command tests miss live between commands; this is where they are found.
//!
//! What users do: deploy a new image (with an overlay, with `--prune-keep`, one that the circuit
//! breaker or an alarm rolls back), deploy again without an image, run a one-off task, run a
//! migration then deploy the same image, roll back, roll back to a revision that served, try to
//! roll back to the template, change the template through Terraform, destroy and re-create it,
//! and roll a template change out with the `ecstpl_rollout` action. Half the sequences run on a
//! blue/green service with a PAUSE hook, continued (or rolled back) at the pause.
//!
//! The invariants, from the README's contract (never from the code under test):
//! - the service runs what the model expects: what the last successful deploy, rollback or
//!   rollout put there, unchanged by a failed or refused one;
//! - the live revision's image is one CI asked a deploy for: never a one-off task's image,
//!   never the template's placeholder (unless the service still runs the template it was
//!   created on);
//! - a rollback returns to the revision the service ran before; pruning never deregisters the
//!   live revision or the one a rollback returns to;
//! - nothing ecstpl did is drift (`status` reports no hand edit);
//! - every JSON result agrees with its exit code;
//! - the next `terraform plan` is clean; after `terraform destroy` no revision is left that
//!   ecstpl could take for the template.
//!
//! CI runs a fixed set of seeds; `scripts/workflows N` runs N more (ECSTPL_WORKFLOW_SEEDS,
//! ECSTPL_WORKFLOW_FIRST_SEED, ECSTPL_WORKFLOW_STEPS).

use std::collections::{BTreeMap, BTreeSet};

use crate::support::proxy::{RecordingProxy, Scenario};
use crate::support::templates::PLAIN_HEADER;
use crate::support::{
    CmdOutput, Moto, Terraform, Workspace, create_service, ecs_call, ecstpl, env_number,
    terraform_1_15,
};
use serde_json::{Value as Json, json};

/// The render a deployed revision is: the template version, the app's image, an overlay.
#[derive(Clone, Debug, PartialEq)]
struct Render {
    template_version: u32,
    image: String,
    overlay: bool,
}

/// What the contract says the world is.
#[derive(Debug)]
struct Model {
    /// The template revision the service was created on (`family:revision`).
    bootstrap: String,
    /// What the service runs.
    live: String,
    /// What it ran before `live` (where a rollback returns).
    previous: Option<String>,
    /// Images CI asked deploys for.
    asked: BTreeSet<String>,
    /// Images only one-off tasks ran.
    run_only: BTreeSet<String>,
    /// Deploy-family revisions that served, with what they are.
    served: BTreeMap<String, Render>,
    template_version: u32,
    keep_superseded: u32,
    /// The service deploys blue/green with a PAUSE hook.
    pause: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    DeployNewImage,
    DeployWithOverlay,
    DeployAndPrune,
    FailingDeploy,
    DeployAgain,
    RunTask,
    RunThenDeploy,
    Rollback,
    RollbackToServed,
    RollbackToTemplate,
    TemplateChange,
    DestroyAndRecreate,
    RolloutAction,
}

const STEPS: &[(Step, u32)] = &[
    (Step::DeployNewImage, 6),
    (Step::DeployWithOverlay, 2),
    (Step::DeployAndPrune, 2),
    (Step::FailingDeploy, 2),
    (Step::DeployAgain, 3),
    (Step::RunTask, 2),
    (Step::RunThenDeploy, 2),
    (Step::Rollback, 3),
    (Step::RollbackToServed, 2),
    (Step::RollbackToTemplate, 1),
    (Step::TemplateChange, 2),
    (Step::DestroyAndRecreate, 2),
    (Step::RolloutAction, 2),
];

#[derive(Default)]
struct Figures {
    sequences: u64,
    steps: u64,
    commands: u64,
    checks: u64,
    by_step: BTreeMap<String, u64>,
}

struct Sequence<'a> {
    seed: u64,
    rng: fastrand::Rng,
    proxy: RecordingProxy,
    endpoint: String,
    workspace: Workspace,
    model: Model,
    history: Vec<String>,
    next_image: u32,
    overlay: String,
    figures: &'a mut Figures,
}

fn template_config(version: u32, keep_superseded: u32, pause: bool) -> String {
    // The service's blue/green pause would hold the action at the pause: it waits for it.
    let wait_until = if pause { "paused" } else { "deployed" };
    format!(
        r#"{PLAIN_HEADER}
resource "ecstpl_template" "web" {{
  family                    = "web-template"
  deploy_family             = "web"
  keep_superseded_revisions = {keep_superseded}
  container_definitions = jsonencode([{{
    name        = "app"
    image       = "placeholder"
    memory      = 128
    environment = [{{ name = "TEMPLATE_VERSION", value = "{version}" }}]
  }}])
}}

action "ecstpl_rollout" "web" {{
  config {{
    cluster       = "prod"
    service       = "web"
    wait_until    = "{wait_until}"
    timeout       = "60s"
    poll_interval = "200ms"
  }}
}}
"#
    )
}

fn short(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

impl Sequence<'_> {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "workflow seed {} broke the contract at step {}: {what}\nsteps so far:\n  {}\nreproduce: ECSTPL_WORKFLOW_FIRST_SEED={} ECSTPL_WORKFLOW_SEEDS=1 cargo test --test it workflows:: -- --nocapture",
            self.seed,
            self.history.len(),
            self.history.join("\n  "),
            self.seed
        )
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.figures.checks += 1;
        if !ok {
            let what = what();
            self.fail(&what);
        }
    }

    /// Runs `ecstpl` for the service; with `--output json` checks that the result agrees
    /// with the exit code.
    fn ecstpl(&mut self, command: &str, extra: &[&str]) -> (CmdOutput, Json) {
        let mut args = vec![command, "--cluster", "prod", "--service", "web"];
        if matches!(command, "deploy" | "rollback" | "continue" | "run") {
            args.extend(["--poll-interval", "200ms", "--timeout", "60s"]);
        }
        let json_output = command != "run" && command != "diff";
        if json_output {
            args.extend(["--output", "json"]);
        }
        args.extend(extra);
        self.figures.commands += 1;
        let output = ecstpl(&self.endpoint, &args);
        self.history.push(format!(
            "    ecstpl {} → exit {}",
            args.join(" "),
            output.code
        ));
        let result = if json_output {
            let Ok(result) = serde_json::from_str::<Json>(output.stdout.trim()) else {
                self.fail(&format!(
                    "ecstpl {command} printed no JSON result: {}",
                    output.combined()
                ));
            };
            if command != "status" {
                let code = i64::from(output.code);
                let says_failed = matches!(result["result"].as_str(), Some("failed" | "timed out"));
                self.check(
                    result["exit_code"].as_i64() == Some(code) && says_failed == (code != 0),
                    || format!("the JSON result disagrees with exit {code}: {result}"),
                );
            }
            result
        } else {
            Json::Null
        };
        (output, result)
    }

    fn expect_code(&mut self, output: &CmdOutput, code: i32, why: &str) {
        self.check(output.code == code, || {
            format!(
                "expected exit {code} ({why}), got {}:\n{}",
                output.code,
                output.combined()
            )
        });
    }

    fn service_runs(&self) -> String {
        let (_, body) = ecs_call(
            &self.endpoint,
            "DescribeServices",
            &json!({"cluster": "prod", "services": ["web"]}),
        );
        short(
            body["services"][0]["taskDefinition"]
                .as_str()
                .unwrap_or_default(),
        )
    }

    fn describe(&self, id: &str) -> Json {
        let (_, body) = ecs_call(
            &self.endpoint,
            "DescribeTaskDefinition",
            &json!({"taskDefinition": id, "include": ["TAGS"]}),
        );
        body
    }

    fn app_image(&self, id: &str) -> String {
        self.describe(id)["taskDefinition"]["containerDefinitions"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn is_active(&self, id: &str) -> bool {
        self.describe(id)["taskDefinition"]["status"] == "ACTIVE"
    }

    fn writes(&self) -> Vec<String> {
        self.proxy.write_calls()
    }

    fn new_image(&mut self) -> String {
        self.next_image += 1;
        format!("repo/web:v{}-{}", self.seed, self.next_image)
    }

    /// A deploy or rollback that starts a deployment: on the paused service it stops at the
    /// pause and is continued (or, `roll_back_at_pause`, rolled back there).
    fn start_deployment(
        &mut self,
        command: &str,
        extra: &[&str],
        roll_back_at_pause: bool,
    ) -> (CmdOutput, Json) {
        let mut args = extra.to_vec();
        if self.model.pause {
            args.extend(["--wait-until", "paused"]);
        }
        let (output, result) = self.ecstpl(command, &args);
        if !self.model.pause || output.code != 0 || result["result"] != "paused" {
            return (output, result);
        }
        let answer: &[&str] = if roll_back_at_pause {
            &["--rollback"]
        } else {
            &[]
        };
        let (continued, answered) = self.ecstpl("continue", answer);
        let wanted = if roll_back_at_pause {
            "rolled back"
        } else {
            "continued"
        };
        self.check(continued.code == 0 && answered["result"] == wanted, || {
            format!("continue at the pause: {}", continued.combined())
        });
        (output, result)
    }

    /// The service now runs `revision` after a change from what it ran.
    fn moved_to(&mut self, revision: String) {
        let before = std::mem::replace(&mut self.model.live, revision);
        self.model.previous = Some(before);
    }

    fn render_now(&self, image: &str, overlay: bool) -> Render {
        Render {
            template_version: self.model.template_version,
            image: image.to_string(),
            overlay,
        }
    }

    fn live_render(&self) -> Option<Render> {
        self.model.served.get(&self.model.live).cloned()
    }

    fn deploy_new(&mut self, extra: &[&str], overlay: bool) {
        let image = self.new_image();
        self.model.asked.insert(image.clone());
        let mut args = vec!["--image".to_string(), format!("app={image}")];
        if overlay {
            args.extend(["--overlay".to_string(), self.overlay.clone()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let roll_back_at_pause = self.model.pause && self.rng.u8(0..4) == 0;
        let (output, result) = self.start_deployment("deploy", &args, roll_back_at_pause);
        self.expect_code(&output, 0, "a deploy of a new image");
        if roll_back_at_pause {
            return;
        }
        let revision = short(result["task_definition_arn"].as_str().unwrap_or_default());
        self.check(revision.starts_with("web:"), || {
            format!("the deploy family's revision, not {revision}")
        });
        let render = self.render_now(&image, overlay);
        self.model.served.insert(revision.clone(), render);
        self.moved_to(revision);
    }

    fn step(&mut self, step: Step) {
        *self.figures.by_step.entry(format!("{step:?}")).or_default() += 1;
        self.history.push(format!("{step:?}"));
        let deployed_before = self.model.live != self.model.bootstrap;
        match step {
            Step::DeployNewImage => self.deploy_new(&[], false),
            Step::DeployWithOverlay => self.deploy_new(&[], true),
            Step::DeployAndPrune => {
                let keep = self.rng.u8(0..2).to_string();
                self.deploy_new(&["--prune-keep", &keep], false);
            }
            Step::FailingDeploy => {
                let image = self.new_image();
                self.model.asked.insert(image.clone());
                self.proxy.deployment_scenario(if self.model.pause {
                    Scenario::FailByAlarm {
                        stage: "PRE_SCALE_UP",
                        alarm: "api-5xx",
                    }
                } else {
                    Scenario::FailByCircuitBreaker { steps: 1 }
                });
                let (output, _) =
                    self.start_deployment("deploy", &["--image", &format!("app={image}")], false);
                self.proxy
                    .deployment_scenario(Scenario::Succeed { steps: 1 });
                // Rolled back to what ran: nothing changes (a service still on its template
                // has nothing to roll back to, and the rollback fails: exit 4 as well).
                self.expect_code(&output, 4, "a deployment that rolls back");
            }
            Step::DeployAgain => {
                self.proxy.clear();
                let (output, result) = self.start_deployment("deploy", &[], false);
                let Some(render) = self.live_render().filter(|_| deployed_before) else {
                    // Nothing CI set: every container would run the template's placeholder.
                    self.expect_code(&output, 2, "the placeholder is refused");
                    let writes = self.writes();
                    self.check(writes.is_empty(), || {
                        format!("refused, yet wrote {writes:?}")
                    });
                    return;
                };
                self.expect_code(&output, 0, "a deploy that keeps CI's image");
                let same = self.render_now(&render.image, false);
                if same == render {
                    let writes = self.writes();
                    self.check(
                        result["result"] == "already live" && writes.is_empty(),
                        || format!("a re-run registers and updates nothing: {result} {writes:?}"),
                    );
                } else {
                    let revision =
                        short(result["task_definition_arn"].as_str().unwrap_or_default());
                    if revision != self.model.live {
                        self.model.served.insert(revision.clone(), same);
                        self.moved_to(revision);
                    }
                }
            }
            Step::RunTask => {
                self.next_image += 1;
                let image = format!("repo/web:migrate-{}-{}", self.seed, self.next_image);
                self.model.run_only.insert(image.clone());
                let (output, _) = self.ecstpl(
                    "run",
                    &["--image", &format!("app={image}"), "--", "migrate"],
                );
                self.expect_code(&output, 0, "a one-off task");
            }
            Step::RunThenDeploy => {
                let image = self.new_image();
                self.proxy.clear();
                let (output, _) = self.ecstpl(
                    "run",
                    &["--image", &format!("app={image}"), "--", "migrate"],
                );
                self.expect_code(&output, 0, "the migration");
                self.model.asked.insert(image.clone());
                let (output, result) =
                    self.start_deployment("deploy", &["--image", &format!("app={image}")], false);
                self.expect_code(&output, 0, "the deploy after the migration");
                let registered = self.proxy.count("RegisterTaskDefinition");
                let task_definition = self
                    .proxy
                    .run_requests()
                    .last()
                    .map(|r| short(r["taskDefinition"].as_str().unwrap_or_default()))
                    .unwrap_or_default();
                let revision = short(result["task_definition_arn"].as_str().unwrap_or_default());
                self.check(registered == 1 && revision == task_definition, || {
                    format!("the migration ran {task_definition}, the deploy {revision}, {registered} registrations")
                });
                let render = self.render_now(&image, false);
                self.model.served.insert(revision.clone(), render);
                self.moved_to(revision);
            }
            Step::Rollback => {
                self.proxy.clear();
                let (output, _) = self.start_deployment("rollback", &[], false);
                match self.model.previous.clone() {
                    Some(previous) if previous != self.model.bootstrap => {
                        self.expect_code(&output, 0, "a rollback to what ran before");
                        self.moved_to(previous);
                    }
                    _ => {
                        self.expect_code(&output, 2, "nothing CI deployed to go back to");
                        let writes = self.writes();
                        self.check(writes.is_empty(), || {
                            format!("refused, yet wrote {writes:?}")
                        });
                    }
                }
            }
            Step::RollbackToServed => {
                let choices: Vec<String> = self
                    .model
                    .served
                    .keys()
                    .filter(|r| **r != self.model.live)
                    .cloned()
                    .collect();
                if choices.is_empty() {
                    return;
                }
                let to = choices[self.rng.usize(0..choices.len())].clone();
                let active = self.is_active(&to);
                let (output, _) = self.start_deployment("rollback", &["--to", &to], false);
                if active {
                    self.expect_code(&output, 0, "a rollback to a revision that served");
                    self.moved_to(to);
                } else {
                    self.expect_code(&output, 2, "a pruned revision cannot serve again");
                }
            }
            Step::RollbackToTemplate => {
                self.proxy.clear();
                let (output, _) = self.ecstpl("rollback", &["--to", "web-template:1"]);
                self.expect_code(&output, 2, "a template revision needs --force");
                let writes = self.writes();
                self.check(writes.is_empty(), || {
                    format!("refused, yet wrote {writes:?}")
                });
            }
            Step::TemplateChange => {
                self.model.template_version += 1;
                self.apply_template();
            }
            Step::DestroyAndRecreate => {
                self.workspace.destroy(&[]);
                self.figures.commands += 1;
                let templates = self.template_revisions_left();
                self.check(templates.is_empty(), || {
                    format!("after terraform destroy, revisions ecstpl would take for the template: {templates:?}")
                });
                let image = self.new_image();
                self.proxy.clear();
                let (output, _) = self.ecstpl("deploy", &["--image", &format!("app={image}")]);
                self.expect_code(&output, 2, "no template after destroy");
                let writes = self.writes();
                self.check(writes.is_empty(), || {
                    format!("refused, yet wrote {writes:?}")
                });
                self.model.template_version += 1;
                self.apply_template();
            }
            Step::RolloutAction => {
                let Some(render) = self.live_render().filter(|_| deployed_before) else {
                    return;
                };
                self.proxy.clear();
                self.figures.commands += 1;
                let invoked = self.workspace.run(&[
                    "apply",
                    "-auto-approve",
                    "-input=false",
                    "-no-color",
                    "-invoke=action.ecstpl_rollout.web",
                ]);
                self.history.push(format!(
                    "    terraform apply -invoke → exit {}",
                    invoked.code
                ));
                self.expect_code(&invoked, 0, "the rollout action");
                // The action rolls the latest template out; a revision rendered from it (an
                // overlay or not) is nothing to roll out.
                let same = self.render_now(&render.image, false);
                if same.template_version == render.template_version {
                    let writes = self.writes();
                    self.check(writes.is_empty(), || {
                        format!("nothing to roll out, yet wrote {writes:?}")
                    });
                    return;
                }
                if self.model.pause {
                    let (continued, _) = self.ecstpl("continue", &[]);
                    self.expect_code(&continued, 0, "continue after the action's pause");
                }
                let revision = self.service_runs();
                self.model.served.insert(revision.clone(), same);
                self.moved_to(revision);
            }
        }
    }

    fn apply_template(&mut self) {
        self.workspace.write(
            "main.tf",
            &template_config(
                self.model.template_version,
                self.model.keep_superseded,
                self.model.pause,
            ),
        );
        self.workspace.apply(&[]);
        self.figures.commands += 1;
    }

    /// ACTIVE revisions of the template family tagged as templates.
    fn template_revisions_left(&self) -> Vec<String> {
        let (_, listed) = ecs_call(
            &self.endpoint,
            "ListTaskDefinitions",
            &json!({"familyPrefix": "web-template", "status": "ACTIVE"}),
        );
        listed["taskDefinitionArns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .filter(|arn| {
                let tags = self.describe(arn)["tags"].clone();
                tags.as_array()
                    .into_iter()
                    .flatten()
                    .any(|t| t["key"] == "ecstpl:role" && t["value"] == "template")
            })
            .map(short)
            .collect()
    }

    /// The contract, after every step.
    fn invariants(&mut self) {
        let runs = self.service_runs();
        let expected = self.model.live.clone();
        self.check(runs == expected, || {
            format!("the service runs {runs}, the contract says {expected}")
        });
        if runs != self.model.bootstrap {
            let image = self.app_image(&runs);
            let asked = self.model.asked.contains(&image);
            let run_only = self.model.run_only.contains(&image);
            self.check(asked && !run_only, || {
                format!("{runs} runs {image}, which no deploy asked for")
            });
        }
        // The template revision a service was created on is Terraform's to deregister (a
        // service keeps running an INACTIVE revision); pruning's promise is the deploy family's.
        let mut keep = vec![runs.clone()];
        keep.extend(self.model.previous.clone());
        keep.retain(|revision| revision.starts_with("web:"));
        for revision in keep {
            let active = self.is_active(&revision);
            self.check(active, || {
                format!("{revision} (live, or where a rollback returns) was deregistered")
            });
        }
        let (status, result) = self.ecstpl("status", &[]);
        self.check(status.code == 0 && result["drift"] == json!([]), || {
            format!("status reports drift: {}", status.combined())
        });
        let (code, plan) = self.workspace.plan_detailed_exitcode(&[]);
        self.figures.commands += 1;
        self.check(code == 0, || {
            format!("the next terraform plan is not clean:\n{}", plan.combined())
        });
    }
}

fn sequence(seed: u64, steps: u64, terraform: &Terraform, figures: &mut Figures) {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let endpoint = proxy.endpoint();
    let rng = fastrand::Rng::with_seed(seed);
    // Seeds alternate the strategy, and every other pair keeps a superseded template.
    let pause = seed % 2 == 1;
    let keep_superseded = u32::from((seed / 2) % 2 == 1);
    let workspace = Workspace::new(terraform, &endpoint);
    workspace.write("main.tf", &template_config(1, keep_superseded, pause));
    workspace.apply(&[]);
    let configuration = if pause {
        json!({"strategy": "BLUE_GREEN", "alarms": {"alarmNames": ["api-5xx"], "enable": true, "rollback": true},
               "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                                   "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}]})
    } else {
        json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true}})
    };
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 2,
                "taskDefinition": "web-template:1", "deploymentConfiguration": configuration}),
    );
    let overlay_dir = tempfile::tempdir().expect("temp dir");
    let overlay = overlay_dir.path().join("overlay.json");
    std::fs::write(
        &overlay,
        r#"{"containerDefinitions": [{"name": "app", "environment": [{"name": "FEATURE", "value": "on"}]}]}"#,
    )
    .expect("overlay file");
    let mut sequence = Sequence {
        seed,
        rng,
        proxy,
        endpoint,
        workspace,
        model: Model {
            bootstrap: "web-template:1".into(),
            live: "web-template:1".into(),
            previous: None,
            asked: BTreeSet::new(),
            run_only: BTreeSet::new(),
            served: BTreeMap::new(),
            template_version: 1,
            keep_superseded,
            pause,
        },
        history: vec![format!(
            "service {} , keep_superseded_revisions = {keep_superseded}",
            if pause {
                "BLUE_GREEN with a PAUSE hook"
            } else {
                "ROLLING with the circuit breaker"
            }
        )],
        next_image: 0,
        overlay: overlay.to_string_lossy().into_owned(),
        figures,
    };
    let total: u32 = STEPS.iter().map(|(_, weight)| weight).sum();
    for _ in 0..steps {
        let mut pick = sequence.rng.u32(0..total);
        let step = STEPS
            .iter()
            .find(|(_, weight)| {
                if pick < *weight {
                    true
                } else {
                    pick -= weight;
                    false
                }
            })
            .map_or(Step::DeployNewImage, |(step, _)| *step);
        sequence.step(step);
        sequence.figures.steps += 1;
        sequence.invariants();
    }
    sequence.figures.sequences += 1;
    let steps: Vec<&String> = sequence
        .history
        .iter()
        .filter(|line| !line.starts_with(' '))
        .collect();
    println!("seed {seed}: {steps:?}");
    drop(moto);
}

#[test]
fn seeded_workflows_keep_the_contract() {
    let terraform = terraform_1_15();
    let first: u64 = env_number("ECSTPL_WORKFLOW_FIRST_SEED", 1);
    let count: u64 = env_number("ECSTPL_WORKFLOW_SEEDS", 4);
    let steps: u64 = env_number("ECSTPL_WORKFLOW_STEPS", 12);
    let mut figures = Figures::default();
    let started = std::time::Instant::now();
    for seed in first..first + count {
        sequence(seed, steps, &terraform, &mut figures);
    }
    println!(
        "workflows: {} sequences (seeds {first}..{}), {} steps, {} commands, {} invariant checks, 0 broken, in {:.0?}; steps: {:?}",
        figures.sequences,
        first + count - 1,
        figures.steps,
        figures.commands,
        figures.checks,
        started.elapsed(),
        figures.by_step
    );
}
