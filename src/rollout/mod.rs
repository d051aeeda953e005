//! Rolling a template out to a service, shared by `ecstpl deploy` and the `ecstpl_rollout`
//! action: find what is live and the latest template, render the revision to register (the
//! images CI deployed kept), register it in the deploy family with the contract tags, point
//! the service at it and follow the deployment as ECS reports it. No printing here: what the
//! front end shows goes through an [`Observer`].

pub(crate) mod explain;
pub(crate) mod express;
pub(crate) mod fleet;
pub(crate) mod follow;
pub(crate) mod rollback;
pub mod verify;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value as Json, json};

use crate::aws::{self, AwsError, Ecs, Revision, Service};
use crate::taskdef;

/// How a rollout (or one target of a fleet) ended; front ends word it their own way (the
/// CLI as exit codes, the action as diagnostics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Success,
    /// Refused before anything changed: see [`RolloutError::Refused`].
    Refused,
    /// ECS failed a call (after retries).
    AwsError,
    /// The deployment ended rolled back or stopped, or the service runs another revision.
    RolloutFailed,
    /// The deployment did not finish in time.
    TimedOut,
}

impl Verdict {
    /// How bad it is, to pick the one a fleet reports: a failed rollout first, then a
    /// timeout, an AWS error, a refusal.
    pub fn severity(self) -> u8 {
        match self {
            Verdict::Success => 0,
            Verdict::Refused => 1,
            Verdict::AwsError => 2,
            Verdict::TimedOut => 3,
            Verdict::RolloutFailed => 4,
        }
    }
}

/// What the caller can set to get past a refusal; each front end names it in its own words
/// (a flag, an attribute).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The template family.
    Template,
    /// The deploy family.
    Family,
}

/// Why a rollout stopped before it had a result.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// The input, the service or the template is not what the rollout needs; nothing was
    /// changed. `setting` names what the caller can set to fix it, when that would.
    #[error("{message}")]
    Refused {
        message: String,
        setting: Option<Setting>,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// ECS lost track of something it just reported (a service deployment, a service).
    #[error("{0}")]
    Lost(String),
}

impl RolloutError {
    pub fn verdict(&self) -> Verdict {
        match self {
            RolloutError::Refused { .. } => Verdict::Refused,
            RolloutError::Aws(_) | RolloutError::Lost(_) => Verdict::AwsError,
        }
    }
}

/// A refusal with nothing for the caller to set.
pub(crate) fn refused(message: impl Into<String>) -> RolloutError {
    RolloutError::Refused {
        message: message.into(),
        setting: None,
    }
}

/// A refusal that setting `setting` fixes.
pub(crate) fn refused_unless(setting: Setting, message: impl Into<String>) -> RolloutError {
    RolloutError::Refused {
        message: message.into(),
        setting: Some(setting),
    }
}

/// The service to roll out to.
#[derive(Clone, Debug)]
pub struct Target {
    /// Cluster name or ARN.
    pub cluster: String,
    /// Service name or ARN.
    pub service: String,
}

/// What following a deployment waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitUntil {
    /// The service deployment ends SUCCESSFUL (bake time and clean-up included).
    Deployed,
    /// The new revision runs every task and takes all production traffic (it may still bake).
    Stable,
    /// The deployment waits at a PAUSE lifecycle hook (or ended SUCCESSFUL without one).
    Paused,
}

impl WaitUntil {
    /// Every value, in the order front ends list them.
    pub const ALL: [WaitUntil; 3] = [WaitUntil::Deployed, WaitUntil::Stable, WaitUntil::Paused];

    /// The value as users write it (`--wait-until`, `wait_until`).
    pub fn name(self) -> &'static str {
        match self {
            WaitUntil::Deployed => "deployed",
            WaitUntil::Stable => "stable",
            WaitUntil::Paused => "paused",
        }
    }

    /// What it waits for, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            WaitUntil::Deployed => {
                "The service deployment ends SUCCESSFUL (bake time and clean-up included)"
            }
            WaitUntil::Stable => {
                "The new revision runs every task and takes all production traffic (it may still bake)"
            }
            WaitUntil::Paused => {
                "The deployment waits at a PAUSE lifecycle hook (or ended SUCCESSFUL without one)"
            }
        }
    }

    /// The value named `text`; the error lists the names.
    pub fn parse(text: &str) -> Result<WaitUntil, String> {
        WaitUntil::ALL
            .into_iter()
            .find(|until| until.name() == text)
            .ok_or_else(|| {
                let names: Vec<String> = WaitUntil::ALL
                    .iter()
                    .map(|u| format!("{:?}", u.name()))
                    .collect();
                format!("{text:?} is none of {}", names.join(", "))
            })
    }
}

/// The waiting defaults every front end uses, as users write them.
pub const DEFAULT_WAIT_UNTIL: WaitUntil = WaitUntil::Deployed;
pub const DEFAULT_TIMEOUT: &str = "15m";
pub const DEFAULT_POLL_INTERVAL: &str = "5s";

/// How long and how often to follow a deployment.
#[derive(Clone, Copy, Debug)]
pub struct Wait {
    pub until: WaitUntil,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

impl Default for Wait {
    fn default() -> Self {
        Wait {
            until: DEFAULT_WAIT_UNTIL,
            timeout: humantime::parse_duration(DEFAULT_TIMEOUT)
                .unwrap_or(Duration::from_secs(15 * 60)),
            poll_interval: humantime::parse_duration(DEFAULT_POLL_INTERVAL)
                .unwrap_or(Duration::from_secs(5)),
        }
    }
}

/// Where a rollout reports as it goes: the CLI prints, the action streams progress events.
pub trait Observer: Send {
    /// A line that stays (a step done, a pause).
    fn line(&mut self, line: &str);
    /// The line that says where the deployment is now; repeated while nothing changes.
    fn progress(&mut self, line: &str);
    /// The progress line is done.
    fn finish_progress(&mut self) {}
    /// Something that will register but may not work as meant.
    fn warning(&mut self, line: &str) {
        self.line(&format!("warning: {line}"));
    }
    /// A revision was registered that nothing uses yet.
    fn registered(&mut self, _revision: &Revision) {}
    /// The service now runs (or deploys) `revision`.
    fn service_updated(&mut self, _service: &str, _revision: &Revision) {}
    /// How a person continues (or rolls back) `deployment` of `target`, paused at lifecycle
    /// hook `hook`, in the front end's own words; shown with the pause.
    fn resume_hint(&self, _target: &Target, _deployment: &str, _hook: &str) -> Option<String> {
        None
    }
}

/// What to render: the service, and what the caller decides over the template's defaults.
#[derive(Clone, Debug)]
pub struct RenderInput {
    pub target: Target,
    /// Template family (default: the live revision's `ecstpl:template` tag).
    pub template: Option<String>,
    /// Deploy family (default: the template's `ecstpl:deploy-family` tag).
    pub family: Option<String>,
    /// Container → image, over what CI deployed before and the template's placeholders.
    pub images: BTreeMap<String, String>,
    /// An overlay merged by container name, with where it came from (for messages).
    pub overlay: Option<(String, Json)>,
    /// Roll out even when every container would run the template's own image (a template
    /// whose images are all meant to run as they are). Without it such a rollout is refused:
    /// on a service bootstrapped on the template that is the placeholder.
    pub allow_template_images: bool,
}

/// The service and the revision it runs.
pub(crate) struct Live {
    pub(crate) service: Service,
    pub(crate) revision: Revision,
    /// The newest ACTIVE revision of the live revision's family, when the read learned it.
    pub(crate) newest_of_family: Option<Revision>,
}

pub(crate) async fn live(ecs: &Ecs, target: &Target) -> Result<Live, RolloutError> {
    live_with(ecs, target, false).await
}

/// As [`live`], with the newest revision of the live one's family when that costs no call more
/// (a deploy's twin check and its template then need no call of their own).
async fn live_and_newest(ecs: &Ecs, target: &Target) -> Result<Live, RolloutError> {
    let service = service_of(ecs, target).await?;
    let arn = service.live_task_definition().to_string();
    let (revision, newest_of_family) = ecs.describe_task_definition_and_newest(&arn).await?;
    let revision = revision
        .ok_or_else(|| refused(format!("the service runs {arn}, which cannot be described")))?;
    Ok(Live {
        service,
        revision,
        newest_of_family,
    })
}

async fn service_of(ecs: &Ecs, target: &Target) -> Result<Service, RolloutError> {
    match ecs.describe_service(&target.cluster, &target.service).await {
        Err(err) if err.code() == Some("ClusterNotFoundException") => {
            Err(refused(format!("cluster {:?} not found", target.cluster)))
        }
        other => other?.ok_or_else(|| {
            refused(format!(
                "service {:?} not found in cluster {:?}",
                target.service, target.cluster
            ))
        }),
    }
}

/// As [`live`], with the revision as the service's own API reports it: for an Express service,
/// DescribeExpressGatewayService's (what `status` shows); for any other, the same.
pub(crate) async fn live_reported(ecs: &Ecs, target: &Target) -> Result<Live, RolloutError> {
    live_with(ecs, target, true).await
}

async fn live_with(ecs: &Ecs, target: &Target, reported: bool) -> Result<Live, RolloutError> {
    let service = service_of(ecs, target).await?;
    let arn = if reported {
        express::reported_task_definition(ecs, &service).await?
    } else {
        service.live_task_definition().to_string()
    };
    let revision = ecs
        .describe_task_definition(&arn)
        .await?
        .ok_or_else(|| refused(format!("the service runs {arn}, which cannot be described")))?;
    Ok(Live {
        service,
        revision,
        newest_of_family: None,
    })
}

/// The template family: the flag, else the live revision's `ecstpl:template` tag, else the
/// live revision itself when it is a template (the first deploy after bootstrap).
pub(crate) fn template_family(flag: Option<&str>, live: &Revision) -> Result<String, RolloutError> {
    if let Some(family) = flag {
        return Ok(family.split(':').next().unwrap_or(family).to_string());
    }
    live.template_family().ok_or_else(|| {
        refused_unless(Setting::Template, format!(
            "cannot tell which template {} was rendered from: it has no {} tag and is not a template revision",
            live.family_revision(),
            aws::contract::TAG_TEMPLATE
        ))
    })
}

/// The latest ACTIVE revision of the template family tagged as a template: a revision someone
/// registered into the family by hand is never taken for the template.
pub(crate) async fn latest_template(ecs: &Ecs, family: &str) -> Result<Revision, RolloutError> {
    ecs.latest_template(family).await?.ok_or_else(|| {
        refused_unless(Setting::Template, format!(
            "template family {family:?} has no ACTIVE revision tagged {}={}: apply the ecstpl_template that owns it, or name the right template family",
            aws::contract::TAG_ROLE,
            aws::contract::ROLE_TEMPLATE
        ))
    })
}

/// What was edited by hand in `live` against the template revision it was rendered from
/// (an overlay ecstpl applied is not an edit: its digest says so). None when there is nothing
/// to compare with: `live` names no template, is a template, or its template is gone.
pub(crate) async fn hand_edits(
    ecs: &Ecs,
    live: &Revision,
) -> Result<Option<Vec<String>>, AwsError> {
    let Some(from) = live.rendered_from().filter(|_| !live.is_template()) else {
        return Ok(None);
    };
    Ok(ecs.describe_task_definition(&from).await?.map(|template| {
        taskdef::hand_edits(
            &template.task_definition,
            &live.task_definition,
            live.tags.get(aws::contract::TAG_DIGEST).map(String::as_str),
        )
    }))
}

/// What a deploy registers, and from what.
pub(crate) struct Rendered {
    pub(crate) live: Live,
    pub(crate) template: Revision,
    pub(crate) request: Map<String, Json>,
    /// Container → image, when no container gets an image CI chose (`--image`, an image CI
    /// deployed before, or the overlay): every container would run the template's own image.
    pub(crate) only_template_images: Option<BTreeMap<String, String>>,
    /// The caller allows that (see [`RenderInput::allow_template_images`]).
    pub(crate) allow_template_images: bool,
    /// Problems that register but may not work (`ecstpl: warning:` lines in the CLI).
    pub(crate) warnings: Vec<String>,
}

pub(crate) async fn render_request(
    ecs: &Ecs,
    input: &RenderInput,
) -> Result<Rendered, RolloutError> {
    let live = live_and_newest(ecs, &input.target).await?;
    let family = template_family(input.template.as_deref(), &live.revision)?;
    // The first deploy after bootstrap runs the template itself: its family's newest ACTIVE
    // template revision was read with it (what latest_template would read).
    let template = match &live.newest_of_family {
        Some(newest) if newest.family() == family && newest.is_template() => newest.clone(),
        _ => latest_template(ecs, &family).await?,
    };
    let deploy_family = input
        .family
        .clone()
        .or_else(|| template.tags.get(aws::contract::TAG_DEPLOY_FAMILY).cloned())
        .ok_or_else(|| {
            refused_unless(Setting::Family, format!(
                "no deploy family: set deploy_family on the ecstpl_template of {family:?} (its {} tag), or name one",
                aws::contract::TAG_DEPLOY_FAMILY
            ))
        })?;
    if deploy_family == template.family() {
        return Err(refused(format!(
            "the deploy family must differ from the template family ({deploy_family:?}): name a new family for deployed revisions; the service moves to it with this deploy"
        )));
    }
    let live_ci = live
        .revision
        .tags
        .get(aws::contract::TAG_CI_IMAGES)
        .map(|tag| taskdef::parse_ci_images_tag(tag))
        .unwrap_or_default();
    let decided = taskdef::deploy_images(
        &taskdef::images(&template.task_definition),
        &taskdef::images(&live.revision.task_definition),
        &live_ci,
        &input.images,
    )
    .map_err(|err| refused(err.to_string()))?;
    let mut request = taskdef::render(&template.task_definition, &decided.images);
    if let Some((source, overlay)) = &input.overlay {
        taskdef::apply_overlay(&mut request, overlay)
            .map_err(|err| refused(format!("{source}: {err}")))?;
    }
    let template_images = taskdef::images(&template.task_definition);
    let rendered_images = taskdef::images(&request);
    let only_template_images = (decided.ci_images.is_empty()
        && rendered_images
            .iter()
            .all(|(name, image)| template_images.get(name) == Some(image)))
    .then_some(rendered_images);
    request.insert("family".into(), Json::from(deploy_family));
    let mut tags = aws::user_tags(&template.tags);
    tags.insert(
        aws::contract::TAG_ROLE.into(),
        aws::contract::ROLE_DEPLOYED.into(),
    );
    tags.insert(
        aws::contract::TAG_TEMPLATE.into(),
        template.family_revision(),
    );
    if !decided.ci_images.is_empty() {
        tags.insert(
            aws::contract::TAG_CI_IMAGES.into(),
            taskdef::ci_images_tag(&decided.ci_images),
        );
    }
    // What the overlay set is ecstpl's own doing: the digest lets status and the data source
    // tell it from a hand edit.
    if input.overlay.is_some() {
        tags.insert(
            aws::contract::TAG_DIGEST.into(),
            taskdef::definition_digest(&request),
        );
    }
    if tags.len() > aws::MAX_TAGS {
        return Err(refused(format!(
            "the revision would carry {} tags, over ECS's {} per task definition: the template's {} own tags and {} of ecstpl's; remove tags from the template{}",
            tags.len(),
            aws::MAX_TAGS,
            aws::user_tags(&template.tags).len(),
            tags.len() - aws::user_tags(&template.tags).len(),
            if input.overlay.is_some() {
                " (an overlay adds the ecstpl:digest tag)"
            } else {
                ""
            }
        )));
    }
    request.insert(
        "tags".into(),
        Json::Array(
            tags.into_iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect(),
        ),
    );
    let problems = taskdef::validate_task_definition(&request, &[]);
    if let Some(problem) = problems.iter().find(|p| !p.warning) {
        return Err(refused(format!(
            "the rendered task definition is invalid: {}: {}",
            problem.summary, problem.detail
        )));
    }
    express::refuse_unservable(&live.service, &request, "the rendered task definition")?;
    let warnings = problems
        .iter()
        .filter(|p| p.warning)
        .map(|p| format!("{}: {}", p.summary, p.detail))
        .collect();
    Ok(Rendered {
        live,
        template,
        request,
        only_template_images,
        allow_template_images: input.allow_template_images,
        warnings,
    })
}

/// A rollout where every container would run the template's own image is refused unless
/// asked for: on a service bootstrapped on the template, that image is the placeholder.
pub(crate) fn refuse_template_images(rendered: &Rendered) -> Result<(), RolloutError> {
    let allowed = rendered.allow_template_images;
    let Some(images) = rendered.only_template_images.as_ref().filter(|_| !allowed) else {
        return Ok(());
    };
    let images: Vec<String> = images
        .iter()
        .map(|(name, image)| format!("{name} = {image}"))
        .collect();
    Err(refused(format!(
        "every container would run the image of template {} ({}): no image was given and {} has none that CI set; nothing was registered. Name the image to deploy, or allow the template's images if they are meant to run as they are",
        rendered.template.family_revision(),
        images.join(", "),
        rendered.live.revision.family_revision()
    )))
}

/// The revision to use for what was rendered: the newest of the deploy family when it is
/// exactly this render (registered by `ecstpl run`, or by a deploy that did not finish), else
/// a new registration. Returns the revision and whether it was registered now.
pub(crate) async fn register_or_reuse(
    ecs: &Ecs,
    rendered: &Rendered,
    observer: &mut dyn Observer,
) -> Result<(Revision, bool), RolloutError> {
    // In the common case the live revision is its family's newest, read with it: no call.
    let family = rendered.request.get("family").and_then(Json::as_str);
    let twin = match &rendered.live.newest_of_family {
        Some(newest) if Some(newest.family()) == family => newest
            .is_registration_of(&rendered.request)
            .then(|| newest.clone()),
        _ => ecs.find_twin(&rendered.request).await?,
    };
    if let Some(twin) = twin {
        observer.line(&format!(
            "reusing {}: it is this render of template {}, registered before",
            twin.family_revision(),
            rendered.template.family_revision()
        ));
        return Ok((twin, false));
    }
    let registered = ecs.register_task_definition(&rendered.request).await?;
    observer.line(&format!(
        "registered {} from template {}",
        registered.family_revision(),
        rendered.template.family_revision()
    ));
    observer.registered(&registered);
    Ok((registered, true))
}

/// Services whose tasks another controller places are not ecstpl's to deploy.
pub(crate) fn refuse_other_controllers(service: &Service) -> Result<(), RolloutError> {
    match service.deployment_controller.as_str() {
        "ECS" => Ok(()),
        "CODE_DEPLOY" => Err(refused(format!(
            "service {:?} uses the CODE_DEPLOY deployment controller, which ecstpl does not drive; nothing was registered. Deploy through CodeDeploy (for example aws-actions/amazon-ecs-deploy-task-definition with a codedeploy-appspec) with the revision ecstpl renders, or move the service to the ECS controller: its BLUE_GREEN, LINEAR and CANARY strategies are what ecstpl follows",
            service.name
        ))),
        other => Err(refused(format!(
            "service {:?} uses the {other} deployment controller: its tasks are placed by your own controller through task sets, which ecstpl does not drive; nothing was registered. Give that controller the revision ecstpl renders",
            service.name
        ))),
    }
}

/// A rollout started: the revision registered (or reused), the service pointed at it; or
/// nothing to do, the service already runs this render.
pub(crate) struct Started {
    pub(crate) rendered: Rendered,
    pub(crate) registered: Revision,
    /// The service already ran this render: nothing was registered or updated.
    pub(crate) already_live: bool,
    /// This rollout registered the revision (it did not reuse or share one).
    pub(crate) registered_now: bool,
    /// The service deployment UpdateService started, where the endpoint says.
    pub(crate) deployment: Option<String>,
    /// When UpdateService was called (seconds since the epoch), to find the deployment.
    pub(crate) since: f64,
}

/// Registers what was rendered in the deploy family and points the service at it (a service
/// on another deployment controller is refused before anything is registered).
pub(crate) async fn launch(
    ecs: &Ecs,
    rendered: Rendered,
    target: &Target,
    observer: &mut dyn Observer,
) -> Result<Started, RolloutError> {
    launch_with(ecs, rendered, target, observer, None).await
}

/// As [`launch`]; with `shared`, targets of one account and Region whose render is the same
/// use one registration.
pub(crate) async fn launch_with(
    ecs: &Ecs,
    rendered: Rendered,
    target: &Target,
    observer: &mut dyn Observer,
    shared: Option<&fleet::Registrations>,
) -> Result<Started, RolloutError> {
    refuse_other_controllers(&rendered.live.service)?;
    refuse_template_images(&rendered)?;
    for warning in &rendered.warnings {
        observer.warning(warning);
    }
    // A re-run of the same deploy: nothing to register, nothing to update.
    if rendered.live.revision.is_registration_of(&rendered.request) {
        observer.line(&format!(
            "{} is already live: it is this render of template {}; nothing registered, the service not updated",
            rendered.live.revision.family_revision(),
            rendered.template.family_revision()
        ));
        let registered = rendered.live.revision.clone();
        return Ok(Started {
            rendered,
            registered,
            already_live: true,
            registered_now: false,
            deployment: None,
            since: follow::epoch_now(),
        });
    }
    let (registered, registered_now) = match shared {
        Some(shared) => {
            let (revision, mine) = shared
                .get(ecs, &rendered.request, || {
                    register_or_reuse(ecs, &rendered, &mut *observer)
                })
                .await?;
            if !mine {
                observer.line(&format!(
                    "sharing {}: this render of template {} is registered once in this account and Region",
                    revision.family_revision(),
                    rendered.template.family_revision()
                ));
            }
            (revision, mine)
        }
        None => register_or_reuse(ecs, &rendered, observer).await?,
    };
    let since = follow::epoch_now();
    let deployment = point_service_at(ecs, &rendered.live.service, target, &registered).await?;
    let express = rendered.live.service.express;
    observer.line(&format!(
        "{}service {} now set to {}{}",
        if express { "Express " } else { "" },
        target.service,
        registered.family_revision(),
        match deployment.as_deref() {
            Some(d) => format!(" (deployment {d})"),
            None if express => " (UpdateExpressGatewayService)".to_string(),
            None => String::new(),
        }
    ));
    observer.service_updated(&target.service, &registered);
    Ok(Started {
        rendered,
        registered,
        already_live: false,
        registered_now,
        deployment,
        since,
    })
}

/// Points the service at `revision` the way the service takes a task definition: an Express
/// service through UpdateExpressGatewayService (its load balancer, scaling and networking are
/// ECS's: UpdateService would change it behind Express's back), any other through UpdateService,
/// which touches nothing but the task definition. Returns the service deployment started,
/// where the answer names it (UpdateExpressGatewayService's does not: following finds it by
/// the revision it runs).
pub(crate) async fn point_service_at(
    ecs: &Ecs,
    service: &Service,
    target: &Target,
    revision: &Revision,
) -> Result<Option<String>, RolloutError> {
    if service.express {
        express::refuse_unservable(
            service,
            &revision.task_definition,
            &revision.family_revision(),
        )?;
        ecs.update_express_gateway_service(&service.arn, revision.arn())
            .await?;
        return Ok(None);
    }
    Ok(ecs
        .update_service_task_definition(&target.cluster, &target.service, revision.arn())
        .await?)
}
