//! The `ecstpl` command line: the CI half of the template pattern. A thin front end: it
//! parses flags, calls the domain ([`crate::taskdef`]) and the adapter ([`crate::aws`]),
//! and reports with documented exit codes.

mod fleet;
pub(crate) mod fleet_file;
pub mod log;
mod ops;
mod report;
mod run;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use self::report::ExitCode;

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  with --exit-code: `diff` found changes; `status` found the service not in sync with the
     latest template, or hand edits
  2  bad input (flags, files, a template or service that is not what the command needs)
  3  AWS error (an ECS call failed after retries)
  4  rollout failed (the deployment ended ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED or STOPPED, or the
     service is on another revision); for `run`: the task never started
  5  timeout (the deployment did not finish within --timeout)
  130, 143  interrupted by SIGINT, SIGTERM (what was done is printed: a deployment started
     goes on in ECS)
`ecstpl run` exits with the container's own exit code when the task ran.

Log lines on stderr (each failed ECS attempt with its reason, adoptions): ECSTPL_LOG=info
(default), warn, debug or off.";

/// CI tool for the ECS task definition template pattern: Terraform owns the template
/// revision, CI injects images, registers a revision in the deploy family and updates the
/// service.
#[derive(Parser, Debug)]
#[command(name = "ecstpl", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where and as whom to call ECS. AWS_* environment variables and shared files apply as usual.
#[derive(Args, Debug, Clone)]
pub struct AwsArgs {
    /// AWS region (default: AWS_REGION / the profile's region).
    #[arg(long, global = true, env = "AWS_REGION", hide_env_values = true)]
    pub region: Option<String>,
    /// Named profile from the shared config files. It decides the credentials even when
    /// AWS_ACCESS_KEY_ID is set, as in the aws CLI; an undefined profile is an error (exit 2).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// ECS endpoint URL (for emulators; AWS_ENDPOINT_URL works too).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Retries of an ECS call that failed with a server error (5xx) or in transport, with
    /// backoff (each call is bounded to 45s; retries stop once ECS has answered nothing for
    /// 20s). Throttling uses none: see --ecs-rate-limits.
    #[arg(long, global = true, default_value_t = crate::aws::settings::DEFAULT_MAX_RETRIES, allow_negative_numbers = true)]
    pub max_retries: u32,
    /// ECS's request rate limits where AWS Support raised them for the account and Region:
    /// CATEGORY=BURST/REFILL entries, comma-separated (task_definition_modify=40/2 is a bucket
    /// of 40 tokens refilled with 2 per second). Defaults, as ECS publishes them:
    /// task_definition_modify=20/1 (RegisterTaskDefinition, DeregisterTaskDefinition),
    /// task_definition_read=50/20, task_definition_deletion=5/1, service_modify=50/5,
    /// service_read=100/20, service_deployments=50/20, service_revisions=50/20,
    /// tag_modify=20/10, tag_read=50/20, cluster_resource_modify=100/40,
    /// cluster_resource_read=100/20. Every ECS call is paced to these buckets; when ECS
    /// throttles anyway (other jobs use the same account), the rate adapts down and the call
    /// is sent again after a jittered backoff until --timeout (commands without it: 20m).
    #[arg(
        long,
        global = true,
        env = "ECSTPL_ECS_RATE_LIMITS",
        value_name = "CATEGORY=BURST/REFILL,...",
        value_parser = crate::aws::RateLimits::parse
    )]
    pub ecs_rate_limits: Option<crate::aws::RateLimits>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the task definition `deploy` would register, as JSON.
    #[command(after_help = EXIT_CODES)]
    Render(RenderArgs),
    /// Render, register in the deploy family, point the service at it and wait for the rollout.
    #[command(after_help = EXIT_CODES)]
    Deploy(DeployArgs),
    /// Show the live revision, the template it came from, the latest template and the rollout.
    #[command(after_help = EXIT_CODES)]
    Status(StatusArgs),
    /// Show what `deploy` would change against the live revision.
    #[command(after_help = EXIT_CODES)]
    Diff(DiffArgs),
    /// Check what the revision `deploy` would register needs at run time, registering
    /// nothing: its roles (and that ECS tasks may assume them), ECR images, SSM parameters and
    /// Secrets Manager secrets, and awslogs log groups.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Roll back: stop a deployment in progress with a rollback, or (with none in progress)
    /// point the service back at the previous deployed revision (or --to) and wait.
    #[command(after_help = EXIT_CODES)]
    Rollback(RollbackArgs),
    /// Continue (or --rollback) a deployment paused at a PAUSE lifecycle hook, and wait.
    #[command(after_help = EXIT_CODES)]
    Continue(ContinueArgs),
    /// Run a one-off task (a migration, say) from the revision deploy would register, or the
    /// live one, placed like the service's tasks; wait and exit with the container's exit code.
    #[command(after_help = EXIT_CODES)]
    Run(run::RunArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ServiceArgs {
    /// Cluster name or ARN.
    #[arg(long, required_unless_present = "fleet")]
    pub cluster: Option<String>,
    /// Service name or ARN.
    #[arg(long, required_unless_present = "fleet")]
    pub service: Option<String>,
    /// A fleet file (TOML): run the command over every service it names, wave after wave,
    /// instead of one --cluster/--service (see docs/guides/fleet.md).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cluster", "service"])]
    pub fleet: Option<PathBuf>,
}

impl ServiceArgs {
    pub fn target(&self) -> crate::rollout::Target {
        crate::rollout::Target {
            cluster: self.cluster().to_string(),
            service: self.service().to_string(),
        }
    }

    /// `--cluster` (clap asks for it unless `--fleet` is given).
    pub fn cluster(&self) -> &str {
        self.cluster.as_deref().unwrap_or_default()
    }

    /// `--service` (clap asks for it unless `--fleet` is given).
    pub fn service(&self) -> &str {
        self.service.as_deref().unwrap_or_default()
    }
}

#[derive(Args, Debug, Clone)]
pub struct RenderArgs {
    #[command(flatten)]
    pub target: ServiceArgs,
    /// Template family (default: the family in the live revision's ecstpl:template tag, or the
    /// live revision itself when it is a template revision). Its latest ACTIVE revision is used.
    #[arg(long)]
    pub template: Option<String>,
    /// Deploy family to register into (default: the template's ecstpl:deploy-family tag).
    #[arg(long)]
    pub family: Option<String>,
    /// Image for a container, CONTAINER=IMAGE; repeatable. Containers CI set before keep their
    /// live image; every other container takes the template's image.
    #[arg(long = "image", value_name = "CONTAINER=IMAGE", value_parser = parse_image)]
    pub images: Vec<(String, String)>,
    /// Take the images another service runs now (promotion: build once, deploy the images
    /// staging runs to production): the images CI deployed there, by container; --image
    /// still wins for the containers it names. REGION defaults to --region.
    #[arg(long, value_name = "[REGION/]CLUSTER/SERVICE")]
    pub images_from: Option<String>,
    /// A partial task definition (JSON) merged by container name; environment and secrets are
    /// upserted by name.
    #[arg(long, value_name = "FILE")]
    pub overlay: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    /// Exit with 1 when there are changes (as `git diff --exit-code`), 0 when there are none.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    /// A check the credentials may not make (AccessDenied) fails too, instead of being
    /// reported as not checked.
    #[arg(long)]
    pub strict: bool,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// How `deploy --verify` treats a check the credentials may not make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyMode {
    /// Not checked is reported, and the deploy goes on.
    On,
    /// Not checked fails the deploy, as a missing thing does.
    Strict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// `--wait-until`: the values and their meaning are the rollout's own.
impl ValueEnum for crate::rollout::WaitUntil {
    fn value_variants<'a>() -> &'a [Self] {
        &crate::rollout::WaitUntil::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.meaning()))
    }
}

#[derive(Args, Debug, Clone)]
pub struct WaitArgs {
    /// Do not wait for the deployment.
    #[arg(long)]
    pub no_wait: bool,
    /// What to wait for.
    #[arg(long, value_enum, default_value_t = crate::rollout::DEFAULT_WAIT_UNTIL)]
    pub wait_until: crate::rollout::WaitUntil,
    /// How long to wait, for the whole command (e.g. 10m, 90s).
    #[arg(long, default_value = crate::rollout::DEFAULT_TIMEOUT, value_parser = humantime::parse_duration, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// How often to poll while waiting (at least 200ms: a shorter interval polls every 200ms,
    /// with a warning).
    #[arg(long, default_value = crate::rollout::DEFAULT_POLL_INTERVAL, value_parser = humantime::parse_duration, allow_hyphen_values = true)]
    pub poll_interval: Duration,
    /// Output format of the result.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

impl WaitArgs {
    pub fn wait(&self) -> crate::rollout::Wait {
        crate::rollout::Wait {
            until: self.wait_until,
            timeout: self.timeout,
            poll_interval: self.poll_interval,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct DeployArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// After the deployment ends SUCCESSFUL, deregister ecstpl's own deploy-family revisions
    /// except the newest N, the live one and the one a rollback returns to. Nothing is
    /// deregistered without this flag; it needs the wait (not with --no-wait).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub prune_keep: Option<usize>,
    /// Deploy even when every container would run the template's own image (no --image, and
    /// no image CI deployed before): on a service bootstrapped on the template that is the
    /// placeholder, so it is refused without this.
    #[arg(long)]
    pub allow_template_images: bool,
    /// Before registering, check what the revision needs at run time, as `ecstpl verify`
    /// does; anything missing stops the deploy (exit 2) with nothing registered.
    /// `--verify strict`: a check the credentials may not make stops it too. With --fleet,
    /// every target is checked in its own account and Region before the first wave starts.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "on", value_name = "MODE")]
    pub verify: Option<VerifyMode>,
    /// Deploy an existing revision as it is (FAMILY:REVISION or ARN): nothing is rendered or
    /// registered. A template revision only with --allow-template-images.
    #[arg(long, value_name = "FAMILY:REVISION", conflicts_with_all = ["images", "images_from", "overlay", "template", "family", "verify"])]
    pub revision: Option<String>,
    /// With --fleet, what a failed target does to the other targets of its wave (no later
    /// wave starts either way).
    #[arg(long, value_enum, default_value_t = OnFailure::Stop)]
    pub on_failure: OnFailure,
}

/// `--on-failure`: what a failed target of a fleet does to the rest of its wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnFailure {
    /// The wave's targets already started run to their end; no other target starts.
    Stop,
    /// The wave's other targets are rolled back: a deployment in progress is stopped with a
    /// rollback, a service already moved is pointed back at what it ran before.
    RollbackWave,
}

#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: ServiceArgs,
    /// Template family (default: from the live revision's ecstpl:template tag).
    #[arg(long)]
    pub template: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Exit with 1 when the service is not in sync with the latest template or its live
    /// revision has hand edits (a CI gate), 0 when it is.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Args, Debug, Clone)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub target: ServiceArgs,
    /// Revision to go back to: a number in the live revision's family, family:revision or ARN
    /// (default: the revision the service ran before the live one, from ECS's deployment
    /// history).
    #[arg(long)]
    pub to: Option<String>,
    /// Go back even to a revision of another family or to a template revision (whose images
    /// are the template's placeholders); refused without this.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// With --fleet, what a failed target does to the other targets of its wave.
    #[arg(long, value_enum, default_value_t = OnFailure::Stop)]
    pub on_failure: OnFailure,
}

#[derive(Args, Debug, Clone)]
pub struct ContinueArgs {
    #[command(flatten)]
    pub target: ServiceArgs,
    /// Roll the paused deployment back instead of continuing it.
    #[arg(long)]
    pub rollback: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

fn parse_image(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((container, image)) if !container.is_empty() && !image.is_empty() => {
            Ok((container.to_string(), image.to_string()))
        }
        _ => Err(format!("{text:?} is not CONTAINER=IMAGE")),
    }
}

impl RenderArgs {
    /// `--image` as a map; a container named twice is an error (the last would silently win).
    fn image_overrides(&self) -> Result<BTreeMap<String, String>, String> {
        let mut images = BTreeMap::new();
        for (container, image) in &self.images {
            if let Some(first) = images.insert(container.clone(), image.clone())
                && first != *image
            {
                return Err(format!(
                    "--image {container}=… is given twice ({first} and {image}); give each container one image"
                ));
            }
        }
        Ok(images)
    }
}

/// The command line as users see it: `--fleet` shown only on the commands that take it.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut command = Cli::command();
    for name in ["render", "verify", "continue", "run"] {
        command = command.mut_subcommand(name, |sub| sub.mut_arg("fleet", |arg| arg.hide(true)));
    }
    command
}

/// Parses the process's arguments (exits with clap's message and code 2 on bad ones).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|problem| problem.exit())
}

/// The command-line reference (`docs/guides/cli.md`): every command's `--help`, generated so
/// it cannot drift from the flags.
pub fn reference() -> String {
    let mut command = command();
    command.build();
    let mut out = String::from(
        "---\npage_title: \"The ecstpl command line - ecstpl\"\nsubcategory: \"\"\ndescription: |-\n  Every command and flag of ecstpl, the CI half of the template pattern.\n---\n\n# The `ecstpl` command line\n\nGenerated from `ecstpl --help`.\n\n",
    );
    let top = command.clone().render_long_help().to_string();
    out.push_str(&format!("```text\n{}\n```\n", top.trim_end()));
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut sub = sub.clone().bin_name(format!("ecstpl {}", sub.get_name()));
        let help = sub.render_long_help().to_string();
        out.push_str(&format!(
            "\n## `ecstpl {}`\n\n```text\n{}\n```\n",
            sub.get_name(),
            help.trim_end()
        ));
    }
    out
}

/// The fleet file a command runs over, if any.
fn fleet_path(command: &Command) -> Option<&std::path::Path> {
    match command {
        Command::Deploy(args) => args.render.target.fleet.as_deref(),
        Command::Diff(args) => args.render.target.fleet.as_deref(),
        Command::Status(args) => args.target.fleet.as_deref(),
        Command::Rollback(args) => args.target.fleet.as_deref(),
        Command::Render(args) => args.target.fleet.as_deref(),
        Command::Verify(args) => args.render.target.fleet.as_deref(),
        Command::Continue(args) => args.target.fleet.as_deref(),
        Command::Run(args) => args.render.target.fleet.as_deref(),
    }
}

/// Flags that cannot work together, found before any call.
fn check_flags(command: &Command) -> Result<(), String> {
    let fleet = fleet_path(command).is_some();
    match command {
        Command::Render(_) | Command::Verify(_) | Command::Continue(_) | Command::Run(_)
            if fleet =>
        {
            return Err("--fleet works with deploy, status, diff and rollback".into());
        }
        Command::Deploy(args) if fleet && args.prune_keep.is_some() => {
            return Err("--prune-keep cannot be combined with --fleet: prune each service's family with its own deploy".into());
        }
        Command::Deploy(args) if !fleet && args.on_failure != OnFailure::Stop => {
            return Err("--on-failure works with --fleet only".into());
        }
        Command::Rollback(args) if fleet && (args.to.is_some() || args.force) => {
            return Err("--to and --force name one service's revision: with --fleet every service goes back to the revision it ran before".into());
        }
        Command::Rollback(args) if !fleet && args.on_failure != OnFailure::Stop => {
            return Err("--on-failure works with --fleet only".into());
        }
        _ => {}
    }
    if let Command::Deploy(args) = command
        && args.prune_keep.is_some()
        && args.wait.no_wait
    {
        return Err("--prune-keep cannot be combined with --no-wait: pruning waits for the deployment to end SUCCESSFUL, so the revision a rollback returns to is never deregistered while it may still be needed".into());
    }
    let poll = match command {
        Command::Deploy(args) => Some(args.wait.poll_interval),
        Command::Rollback(args) => Some(args.wait.poll_interval),
        Command::Continue(args) => Some(args.wait.poll_interval),
        Command::Run(args) => Some(args.poll_interval),
        _ => None,
    };
    if let Some(poll) = poll
        && poll < crate::rollout::follow::POLL_FLOOR
    {
        report::err(format!(
            "ecstpl: warning: --poll-interval {} is under the {} floor; polling every {}",
            humantime::format_duration(poll),
            humantime::format_duration(crate::rollout::follow::POLL_FLOOR),
            humantime::format_duration(crate::rollout::follow::POLL_FLOOR),
        ));
    }
    Ok(())
}

/// Runs the command line; returns the process exit code.
pub async fn run(mut cli: Cli) -> ExitCode {
    let settings = crate::aws::Settings {
        region: cli.aws.region.clone(),
        profile: cli.aws.profile.clone(),
        ecs_endpoint: cli.aws.endpoint_url.clone(),
        max_retries: Some(cli.aws.max_retries),
        ecs_rate_limits: cli.aws.ecs_rate_limits.clone().unwrap_or_default(),
        ..crate::aws::Settings::default()
    };
    report::set_json_output(match &cli.command {
        Command::Deploy(args) => args.wait.output == Output::Json,
        Command::Rollback(args) => args.wait.output == Output::Json,
        Command::Continue(args) => args.wait.output == Output::Json,
        Command::Status(args) => args.output == Output::Json,
        Command::Run(args) => args.output == Output::Json,
        Command::Verify(args) => args.output == Output::Json,
        Command::Render(_) | Command::Diff(_) => false,
    });
    if let Err(message) = settings.check().and_then(|()| check_flags(&cli.command)) {
        return report::fail(ExitCode::BadInput, &message);
    }
    let fleet_file = match fleet_path(&cli.command).map(fleet::load).transpose() {
        Ok(file) => file,
        Err(crate::cli::report::Failure(code, message)) => return report::fail(code, &message),
    };
    let render = match &mut cli.command {
        Command::Render(args) => Some(args),
        Command::Diff(args) => Some(&mut args.render),
        Command::Verify(args) => Some(&mut args.render),
        Command::Deploy(args) => Some(&mut args.render),
        Command::Run(args) => Some(&mut args.render),
        _ => None,
    };
    if let Some(render) = render
        && let Some(source) = render.images_from.clone()
    {
        match fleet::images_from(&settings, &source).await {
            // --image wins for the containers it names.
            Ok(images) => {
                for (container, image) in images {
                    if !render.images.iter().any(|(named, _)| *named == container) {
                        render.images.push((container, image));
                    }
                }
            }
            Err(crate::cli::report::Failure(code, message)) => return report::fail(code, &message),
        }
    }
    let ecs = match crate::aws::Ecs::connect(&settings).await {
        Ok(ecs) => ecs,
        Err(err) => return report::fail(ExitCode::BadInput, &format!("{err}")),
    };
    // `--timeout` bounds the whole command, every ECS call included (a fleet's targets each
    // have their own).
    let bound = match &cli.command {
        _ if fleet_file.is_some() => None,
        Command::Deploy(args) if !args.wait.no_wait => Some(args.wait.timeout),
        Command::Rollback(args) if !args.wait.no_wait => Some(args.wait.timeout),
        Command::Continue(args) if !args.wait.no_wait => Some(args.wait.timeout),
        Command::Run(args) if !args.no_wait => Some(args.timeout),
        _ => None,
    };
    // How long ECS calls may wait for ECS's rate: the command's --timeout, waiting or not.
    let rate_budget = match (&cli.command, &fleet_file) {
        (Command::Deploy(args), Some(file)) => fleet::rate_budget(file, &args.wait),
        (Command::Rollback(args), Some(file)) => fleet::rate_budget(file, &args.wait),
        (_, Some(_)) => crate::aws::DEFAULT_OPERATION_DEADLINE,
        (command, None) => match command {
            Command::Deploy(args) => args.wait.timeout,
            Command::Rollback(args) => args.wait.timeout,
            Command::Continue(args) => args.wait.timeout,
            Command::Run(args) => args.timeout,
            _ => crate::aws::DEFAULT_OPERATION_DEADLINE,
        },
    };
    // Boxed: the commands' futures nested in the deadline's scope are too deep a type.
    let command = crate::aws::within(
        rate_budget,
        Box::pin(async {
            if let Some(file) = &fleet_file {
                return match &cli.command {
                    Command::Deploy(args) => fleet::deploy(&settings, args, file).await,
                    Command::Rollback(args) => fleet::rollback(&settings, args, file).await,
                    Command::Status(args) => fleet::status(&settings, args, file).await,
                    Command::Diff(args) => fleet::diff(&settings, args, file).await,
                    _ => report::fail(
                        ExitCode::BadInput,
                        "--fleet works with deploy, status, diff and rollback",
                    ),
                };
            }
            match cli.command {
                Command::Render(args) => ops::render(&ecs, &args).await,
                Command::Diff(args) => ops::diff(&ecs, &args).await,
                Command::Verify(args) => ops::verify(&ecs, &args).await,
                Command::Deploy(args) => ops::deploy(&ecs, &args).await,
                Command::Status(args) => ops::status(&ecs, &args).await,
                Command::Rollback(args) => ops::rollback(&ecs, &args).await,
                Command::Continue(args) => ops::continue_deployment(&ecs, &args).await,
                Command::Run(args) => run::run(&ecs, &args).await,
            }
        }),
    );
    let bounded = async {
        match bound {
            // A little over the waiting deadline, so the wait reports its own timeout first.
            Some(limit) => {
                match tokio::time::timeout(limit + std::time::Duration::from_secs(2), command).await
                {
                    Ok(code) => code,
                    Err(_) => {
                        report::left_behind("stopped by --timeout");
                        report::fail(
                            ExitCode::Timeout,
                            &format!(
                                "the command did not finish within --timeout {}",
                                humantime::format_duration(limit)
                            ),
                        )
                    }
                }
            }
            None => command.await,
        }
    };
    let stopped = tokio::select! {
        code = bounded => return code,
        signal = report::termination() => signal,
    };
    // Revisions registered a moment ago that nothing uses would stay ACTIVE forever: take
    // them back (bounded: a second signal, or 10 s, ends the process).
    for (arn, client) in report::unused_registrations() {
        let cleanup = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            client
                .as_ref()
                .unwrap_or(&ecs)
                .deregister_task_definition(&arn),
        );
        tokio::select! {
            result = cleanup => match result {
                Ok(Ok(())) => report::did(format!("deregistered {arn} again, which nothing used")),
                _ => report::did(format!("{arn} stays registered, unused: deregister it by hand")),
            },
            _ = report::termination() => {
                report::did(format!("{arn} stays registered, unused"));
                break;
            }
        }
    }
    report::left_behind(&format!("interrupted by {stopped}"));
    report::fail(
        ExitCode::Interrupted(stopped),
        &format!("interrupted by {stopped}"),
    )
}
