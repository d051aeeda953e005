//! Pacing of ECS calls to the rates ECS publishes, so that a process never spends what the
//! account's token buckets do not hold, and a throttled call waits instead of failing.
//!
//! ECS throttles each account and Region with one token bucket per category of actions
//! ("Request throttling for the Amazon ECS API", Amazon ECS API Reference and Developer Guide:
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html>). Every
//! client built from one set of settings shares one [`Pacer`] per process: a client-side bucket
//! per category with the published sizes (or the raised ones a user configures), which calls
//! reserve a token from before they are sent. When ECS still throttles (another process spends
//! the same account's tokens), the category's rate halves and recovers with each call ECS
//! accepts, and the throttled call is sent again after a jittered, growing backoff, for as long
//! as the operation's deadline ([`within`]) allows: throttling never uses up a retry budget.
//! Deregistering what a newer revision superseded is clean-up ([`Priority::Cleanup`]): it only
//! takes tokens no other call is waiting for.
//!
//! The SDK's own adaptive rate limiter (`ClientRateLimiter`) is not used: its acquire and
//! update functions are private to aws-smithy-runtime, it keeps one rate per client rather than
//! per category, and its waits happen inside the SDK's operation timeout.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// A category of ECS actions that shares one token bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    TaskDefinitionModify,
    TaskDefinitionRead,
    TaskDefinitionDeletion,
    ServiceModify,
    ServiceRead,
    ServiceDeployments,
    ServiceRevisions,
    TagModify,
    TagRead,
    ClusterResourceModify,
    ClusterResourceRead,
}

/// One bucket's size: `burst` tokens at most ("bucket maximum capacity"), refilled by
/// `refill` tokens per second ("bucket refill rate").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    pub burst: u32,
    pub refill: f64,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::TaskDefinitionModify,
        Category::TaskDefinitionRead,
        Category::TaskDefinitionDeletion,
        Category::ServiceModify,
        Category::ServiceRead,
        Category::ServiceDeployments,
        Category::ServiceRevisions,
        Category::TagModify,
        Category::TagRead,
        Category::ClusterResourceModify,
        Category::ClusterResourceRead,
    ];

    /// The name in settings (`ecs_rate_limits`, `--ecs-rate-limits`).
    pub fn name(self) -> &'static str {
        match self {
            Category::TaskDefinitionModify => "task_definition_modify",
            Category::TaskDefinitionRead => "task_definition_read",
            Category::TaskDefinitionDeletion => "task_definition_deletion",
            Category::ServiceModify => "service_modify",
            Category::ServiceRead => "service_read",
            Category::ServiceDeployments => "service_deployments",
            Category::ServiceRevisions => "service_revisions",
            Category::TagModify => "tag_modify",
            Category::TagRead => "tag_read",
            Category::ClusterResourceModify => "cluster_resource_modify",
            Category::ClusterResourceRead => "cluster_resource_read",
        }
    }

    /// The name in ECS's documentation, for log lines.
    pub fn label(self) -> &'static str {
        match self {
            Category::TaskDefinitionModify => "task definition modify",
            Category::TaskDefinitionRead => "task definition read",
            Category::TaskDefinitionDeletion => "task definition deletion",
            Category::ServiceModify => "service modify",
            Category::ServiceRead => "service read",
            Category::ServiceDeployments => "service deployments",
            Category::ServiceRevisions => "service revisions",
            Category::TagModify => "tag modify",
            Category::TagRead => "tag read",
            Category::ClusterResourceModify => "cluster resource modify",
            Category::ClusterResourceRead => "cluster resource read",
        }
    }

    /// The actions of each category, as "Request throttling for the Amazon ECS API" lists
    /// them (those ecstpl calls, and their neighbours). Actions not listed are not paced;
    /// when ECS throttles them they are still sent again with backoff.
    pub fn of(operation: &str) -> Option<Category> {
        Some(match operation {
            "RegisterTaskDefinition" | "DeregisterTaskDefinition" => Category::TaskDefinitionModify,
            "DescribeTaskDefinition" | "ListTaskDefinitions" | "ListTaskDefinitionFamilies" => {
                Category::TaskDefinitionRead
            }
            "DeleteTaskDefinitions" => Category::TaskDefinitionDeletion,
            "CreateService" | "UpdateService" | "DeleteService" => Category::ServiceModify,
            "DescribeServices" | "ListServices" => Category::ServiceRead,
            "ListServiceDeployments" | "DescribeServiceDeployments" => Category::ServiceDeployments,
            "DescribeServiceRevisions" => Category::ServiceRevisions,
            "TagResource" | "UntagResource" => Category::TagModify,
            "ListTagsForResource" => Category::TagRead,
            "RunTask" | "StartTask" | "StopTask" => Category::ClusterResourceModify,
            "DescribeTasks" | "ListTasks" => Category::ClusterResourceRead,
            _ => return None,
        })
    }

    /// The published bucket sizes per account and Region (burst, refill per second), from
    /// the same page ("Request throttling for the Amazon ECS API").
    pub fn published(self) -> Limit {
        let (burst, refill) = match self {
            Category::TaskDefinitionModify => (20, 1.0),
            Category::TaskDefinitionRead => (50, 20.0),
            Category::TaskDefinitionDeletion => (5, 1.0),
            Category::ServiceModify => (50, 5.0),
            Category::ServiceRead => (100, 20.0),
            Category::ServiceDeployments => (50, 20.0),
            Category::ServiceRevisions => (50, 20.0),
            Category::TagModify => (20, 10.0),
            Category::TagRead => (50, 20.0),
            Category::ClusterResourceModify => (100, 40.0),
            Category::ClusterResourceRead => (100, 20.0),
        };
        Limit { burst, refill }
    }

    fn from_name(name: &str) -> Option<Category> {
        let wanted = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Category::ALL.into_iter().find(|c| c.name() == wanted)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Bucket sizes that differ from the published ones (AWS Support raises them per account).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimits {
    overrides: BTreeMap<Category, Limit>,
}

impl RateLimits {
    /// `category=burst/refill` entries separated by commas (or whitespace), e.g.
    /// `task_definition_modify=40/2,service_modify=100/10`.
    pub fn parse(text: &str) -> Result<RateLimits, String> {
        let mut limits = RateLimits::default();
        for entry in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let (name, value) = entry.split_once('=').ok_or_else(|| {
                format!(
                    "{entry:?} is not category=burst/refill, like \"task_definition_modify=40/2\""
                )
            })?;
            limits.set(name, value)?;
        }
        Ok(limits)
    }

    /// Sets one category from `burst/refill`; the error names what is wrong.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let category = Category::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
            format!(
                "{name:?} is not an ECS throttling category; the categories are {}",
                known.join(", ")
            )
        })?;
        let limit =
            parse_limit(value).map_err(|problem| format!("{}: {problem}", category.name()))?;
        self.overrides.insert(category, limit);
        Ok(())
    }

    /// Entries of `other` replace those of `self`.
    pub fn merge(&mut self, other: &RateLimits) {
        self.overrides
            .extend(other.overrides.iter().map(|(c, l)| (*c, *l)));
    }

    /// The bucket `category` is paced to.
    pub fn limit(&self, category: Category) -> Limit {
        self.overrides
            .get(&category)
            .copied()
            .unwrap_or_else(|| category.published())
    }

    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty()
    }
}

impl fmt::Display for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .overrides
            .iter()
            .map(|(c, l)| format!("{}={}/{}", c.name(), l.burst, l.refill))
            .collect();
        f.write_str(&entries.join(","))
    }
}

fn parse_limit(value: &str) -> Result<Limit, String> {
    let (burst, refill) = value
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("{value:?} is not burst/refill, like \"40/2\""))?;
    let burst: u32 = burst
        .trim()
        .parse()
        .ok()
        .filter(|b| *b >= 1)
        .ok_or_else(|| format!("the burst {burst:?} is not a whole number of 1 or more"))?;
    let refill: f64 = refill
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .ok_or_else(|| {
            format!("the refill rate {refill:?} is not a number of tokens per second above 0")
        })?;
    Ok(Limit { burst, refill })
}

/// Tokens the client leaves in the account's bucket: ECS counts a call when it arrives, the
/// client when it sends, and two calls a token apart can arrive closer than they were sent.
const MARGIN: f64 = 1.0;
/// The adapted rate never falls below this share of the configured one.
const MIN_FACTOR: f64 = 1.0 / 8.0;
/// Share of the configured rate won back by each call ECS accepts after a throttle.
const RECOVERY: f64 = 0.1;
/// Longest backoff before a throttled call is sent again (full jitter below it).
const MAX_BACKOFF: Duration = crate::aws::settings::MAX_BACKOFF;
/// A wait this long is worth one info line.
const NOTICEABLE: Duration = Duration::from_secs(2);
/// The deadline of a call made outside [`within`].
pub const DEFAULT_OPERATION_DEADLINE: Duration = Duration::from_secs(20 * 60);

/// One category's client-side bucket, with the rate adapted to what ECS answers. Pure
/// arithmetic on the times it is given.
#[derive(Clone, Debug)]
struct Bucket {
    capacity: f64,
    refill: f64,
    /// Share of `refill` in use: below 1 after ECS throttled.
    factor: f64,
    /// Below zero: tokens reserved ahead by calls still waiting for them.
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(limit: Limit, now: Instant) -> Bucket {
        let capacity = (f64::from(limit.burst) - MARGIN).max(1.0);
        Bucket {
            capacity,
            refill: limit.refill,
            factor: 1.0,
            tokens: capacity,
            at: now,
        }
    }

    fn rate(&self) -> f64 {
        self.refill * self.factor
    }

    fn advance(&mut self, now: Instant) {
        if now > self.at {
            let elapsed = now.duration_since(self.at).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate()).min(self.capacity);
            self.at = now;
        }
    }

    /// How long to wait for a token `latest` or sooner, and that token reserved; None (and
    /// nothing reserved) when the next free token comes later.
    fn reserve(&mut self, now: Instant, latest: Duration) -> Option<Duration> {
        self.advance(now);
        let wait = self.wait_for_one();
        if wait > latest {
            return None;
        }
        self.tokens -= 1.0;
        Some(wait)
    }

    /// A token that no earlier call has reserved, now; else how long until one may be free.
    fn take_surplus(&mut self, now: Instant) -> Result<(), Duration> {
        self.advance(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.wait_for_one())
        }
    }

    fn wait_for_one(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate())
        }
    }

    /// ECS found the account's bucket empty: so is ours, and the rate halves.
    fn throttled(&mut self, now: Instant) {
        self.advance(now);
        self.tokens = self.tokens.min(0.0);
        self.factor = (self.factor / 2.0).max(MIN_FACTOR);
    }

    /// ECS accepted a call: the rate recovers a step.
    fn accepted(&mut self, now: Instant) {
        if self.factor < 1.0 {
            self.advance(now);
            self.factor = (self.factor + RECOVERY).min(1.0);
        }
    }

    /// The time one token takes at the current rate.
    fn slot(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate())
    }
}

/// Who waits for a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// A call its operation needs: reserves the next free token.
    Normal,
    /// Clean-up (deregistering superseded revisions): takes only a token no other call is
    /// waiting for, so it never delays a registration.
    Cleanup,
}

/// The client-side buckets of one account and Region, shared by every call of the process.
#[derive(Debug)]
pub(crate) struct Pacer {
    limits: RateLimits,
    buckets: Mutex<HashMap<Category, Bucket>>,
}

/// No token before the deadline.
#[derive(Debug)]
pub(crate) struct NoToken {
    pub(crate) waited: Duration,
}

impl Pacer {
    pub(crate) fn new(limits: RateLimits) -> Pacer {
        Pacer {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The pacer of every client with the same `key` in this process (account and Region as
    /// far as the settings tell them apart).
    pub(crate) fn shared(key: String, limits: &RateLimits) -> Arc<Pacer> {
        static PACERS: OnceLock<Mutex<HashMap<String, Arc<Pacer>>>> = OnceLock::new();
        let key = format!("{key}|{limits}");
        let pacers = PACERS.get_or_init(Mutex::default);
        match pacers.lock() {
            Ok(mut pacers) => pacers
                .entry(key)
                .or_insert_with(|| Arc::new(Pacer::new(limits.clone())))
                .clone(),
            Err(_) => Arc::new(Pacer::new(limits.clone())),
        }
    }

    fn with_bucket<T>(&self, category: Category, f: impl FnOnce(&mut Bucket, Instant) -> T) -> T {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets
            .entry(category)
            .or_insert_with(|| Bucket::new(self.limits.limit(category), now));
        f(bucket, now)
    }

    /// Waits for a token of `category`; `NoToken` when none comes before `deadline`.
    pub(crate) async fn acquire(
        &self,
        category: Category,
        priority: Priority,
        deadline: Instant,
    ) -> Result<Duration, NoToken> {
        let started = Instant::now();
        match priority {
            Priority::Normal => {
                let latest = deadline.saturating_duration_since(started);
                let wait = self
                    .with_bucket(category, |bucket, now| bucket.reserve(now, latest))
                    .ok_or(NoToken {
                        waited: Duration::ZERO,
                    })?;
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Ok(wait)
            }
            Priority::Cleanup => loop {
                let next = match self.with_bucket(category, |bucket, now| bucket.take_surplus(now))
                {
                    Ok(()) => return Ok(started.elapsed()),
                    Err(next) => next,
                };
                // A little later than the token: a call that needs it can still claim it.
                let next = next + next.mul_f64(fastrand::f64() * 0.1);
                if Instant::now() + next > deadline {
                    return Err(NoToken {
                        waited: started.elapsed(),
                    });
                }
                tokio::time::sleep(next).await;
            },
        }
    }

    pub(crate) fn throttled(&self, category: Category) {
        self.with_bucket(category, |bucket, now| bucket.throttled(now));
    }

    pub(crate) fn accepted(&self, category: Category) {
        self.with_bucket(category, |bucket, now| bucket.accepted(now));
    }

    /// How long to back off after the `throttles`-th throttled answer of one call: full jitter
    /// below a cap that doubles from one token's time, as the SDKs' standard retry mode does.
    pub(crate) fn backoff(&self, category: Option<Category>, throttles: u32) -> Duration {
        let slot = match category {
            Some(category) => self.with_bucket(category, |bucket, _| bucket.slot()),
            None => Duration::from_secs(1),
        };
        // Not below 50 ms: with raised limits a token's time can be a fraction of one.
        let cap = slot
            .max(Duration::from_millis(50))
            .saturating_mul(1 << throttles.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        cap.mul_f64(fastrand::f64())
    }
}

/// The deadline of the operation running in this task, and what it waited for.
#[derive(Debug)]
struct Scope {
    deadline: Instant,
    waited: Mutex<BTreeMap<Category, Duration>>,
}

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// Runs `operation` with ECS calls that may wait on ECS's rates for up to `budget` from now
/// (a CLI command's `--timeout`, a provider operation's deadline). Says once, at info level,
/// for each category it noticeably waited for.
pub async fn within<F: Future>(budget: Duration, operation: F) -> F::Output {
    let scope = Arc::new(Scope {
        deadline: Instant::now() + budget,
        waited: Mutex::default(),
    });
    let output = SCOPE.scope(scope.clone(), operation).await;
    if let Ok(waited) = scope.waited.lock() {
        for (category, waited) in waited.iter() {
            report_wait(*category, *waited);
        }
    }
    output
}

fn report_wait(category: Category, waited: Duration) {
    if waited >= NOTICEABLE {
        tracing::info!(
            "waited {} s for ECS's {category} rate",
            waited.as_secs_f64().round()
        );
    }
}

/// The deadline of a call starting now.
pub(crate) fn deadline() -> Instant {
    SCOPE
        .try_with(|scope| scope.deadline)
        .unwrap_or_else(|_| Instant::now() + DEFAULT_OPERATION_DEADLINE)
}

/// Counts a call's wait towards its operation's info line (or reports it alone outside one).
pub(crate) fn record_wait(category: Category, waited: Duration) {
    if waited.is_zero() {
        return;
    }
    let in_scope = SCOPE.try_with(|scope| {
        if let Ok(mut total) = scope.waited.lock() {
            *total.entry(category).or_default() += waited;
        }
    });
    if in_scope.is_err() {
        report_wait(category, waited);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: f64) -> Instant {
        start + Duration::from_secs_f64(seconds)
    }

    fn limit(burst: u32, refill: f64) -> Limit {
        Limit { burst, refill }
    }

    #[test]
    fn a_burst_goes_at_once_then_one_token_per_refill_interval() {
        let start = Instant::now();
        let mut bucket = Bucket::new(limit(20, 1.0), start);
        let latest = Duration::from_secs(3600);
        // The burst less the margin left for arrival jitter.
        for _ in 0..19 {
            assert_eq!(bucket.reserve(start, latest), Some(Duration::ZERO));
        }
        // Then one a second, each reserved behind the one before.
        for n in 1..=5 {
            let wait = bucket.reserve(start, latest).unwrap();
            assert!((wait.as_secs_f64() - f64::from(n)).abs() < 1e-9, "{wait:?}");
        }
        // Ten seconds later five reservations are served and five tokens have come back.
        assert_eq!(
            bucket.reserve(at(start, 10.0), latest),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_token_after_the_deadline_is_not_reserved() {
        let start = Instant::now();
        let mut bucket = Bucket::new(limit(2, 1.0), start);
        assert_eq!(
            bucket.reserve(start, Duration::from_secs(5)),
            Some(Duration::ZERO)
        );
        assert_eq!(bucket.reserve(start, Duration::from_millis(500)), None);
        // Nothing was taken by the refusal: the next token is still one second away.
        let wait = bucket.reserve(start, Duration::from_secs(5)).unwrap();
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-9, "{wait:?}");
    }

    #[test]
    fn clean_up_takes_only_tokens_nobody_reserved() {
        let start = Instant::now();
        let mut bucket = Bucket::new(limit(3, 1.0), start);
        let latest = Duration::from_secs(3600);
        // Two tokens; a registration reserves both and a third one second ahead.
        for _ in 0..3 {
            bucket.reserve(start, latest);
        }
        let next = bucket.take_surplus(start).unwrap_err();
        assert!((next.as_secs_f64() - 2.0).abs() < 1e-9, "{next:?}");
        // Once the reservation is served and a token more has come, clean-up gets it.
        assert!(bucket.take_surplus(at(start, 1.5)).is_err());
        assert!(bucket.take_surplus(at(start, 2.0)).is_ok());
        assert!(bucket.take_surplus(at(start, 2.0)).is_err());
    }

    #[test]
    fn a_throttle_empties_the_bucket_and_halves_the_rate_which_recovers_with_accepted_calls() {
        let start = Instant::now();
        let mut bucket = Bucket::new(limit(50, 20.0), start);
        bucket.throttled(start);
        assert_eq!(bucket.wait_for_one(), Duration::from_millis(100));
        for _ in 0..10 {
            bucket.throttled(start);
        }
        assert!((bucket.rate() - 20.0 * MIN_FACTOR).abs() < 1e-9, "a floor");
        for _ in 0..20 {
            bucket.accepted(start);
        }
        assert!((bucket.rate() - 20.0).abs() < 1e-9, "recovered");
        // Refill never exceeds the capacity, however long it has been.
        bucket.advance(at(start, 3600.0));
        assert!((bucket.tokens - 49.0).abs() < 1e-9);
    }

    #[test]
    fn the_backoff_after_throttling_grows_from_one_token_and_stays_capped() {
        let pacer = Pacer::new(RateLimits::default());
        for throttles in 1..40 {
            let backoff = pacer.backoff(Some(Category::TaskDefinitionRead), throttles);
            assert!(backoff <= MAX_BACKOFF);
        }
        // One throttle of a 20-per-second bucket: below one token's time at the halved rate.
        pacer.throttled(Category::TaskDefinitionRead);
        assert!(pacer.backoff(Some(Category::TaskDefinitionRead), 1) <= Duration::from_millis(100));
    }

    #[test]
    fn every_action_ecstpl_calls_has_its_published_category() {
        for (operation, category, burst, refill) in [
            (
                "RegisterTaskDefinition",
                Category::TaskDefinitionModify,
                20,
                1.0,
            ),
            (
                "DeregisterTaskDefinition",
                Category::TaskDefinitionModify,
                20,
                1.0,
            ),
            (
                "DescribeTaskDefinition",
                Category::TaskDefinitionRead,
                50,
                20.0,
            ),
            (
                "ListTaskDefinitions",
                Category::TaskDefinitionRead,
                50,
                20.0,
            ),
            (
                "ListTaskDefinitionFamilies",
                Category::TaskDefinitionRead,
                50,
                20.0,
            ),
            ("UpdateService", Category::ServiceModify, 50, 5.0),
            ("DescribeServices", Category::ServiceRead, 100, 20.0),
            (
                "ListServiceDeployments",
                Category::ServiceDeployments,
                50,
                20.0,
            ),
            (
                "DescribeServiceDeployments",
                Category::ServiceDeployments,
                50,
                20.0,
            ),
            (
                "DescribeServiceRevisions",
                Category::ServiceRevisions,
                50,
                20.0,
            ),
            ("TagResource", Category::TagModify, 20, 10.0),
            ("UntagResource", Category::TagModify, 20, 10.0),
            ("RunTask", Category::ClusterResourceModify, 100, 40.0),
            ("DescribeTasks", Category::ClusterResourceRead, 100, 20.0),
        ] {
            assert_eq!(Category::of(operation), Some(category), "{operation}");
            assert_eq!(category.published(), limit(burst, refill), "{operation}");
        }
        assert_eq!(Category::of("StopServiceDeployment"), None);
    }

    #[test]
    fn raised_limits_are_parsed_and_bad_ones_named() {
        let limits =
            RateLimits::parse("task_definition_modify=40/2, service-modify=100/10").unwrap();
        assert_eq!(limits.limit(Category::TaskDefinitionModify), limit(40, 2.0));
        assert_eq!(limits.limit(Category::ServiceModify), limit(100, 10.0));
        assert_eq!(
            limits.limit(Category::ServiceRead),
            Category::ServiceRead.published()
        );
        assert_eq!(
            limits.to_string(),
            "task_definition_modify=40/2,service_modify=100/10"
        );
        assert!(RateLimits::parse("").unwrap().is_empty());
        let error = RateLimits::parse("task_definitions=40/2").unwrap_err();
        assert!(error.contains("not an ECS throttling category"), "{error}");
        assert!(error.contains("task_definition_modify"), "{error}");
        for bad in [
            "task_definition_modify=40",
            "task_definition_modify=0/1",
            "task_definition_modify=40/0",
            "task_definition_modify=40/x",
            "task_definition_modify",
        ] {
            assert!(RateLimits::parse(bad).is_err(), "{bad}");
        }
        assert!(RateLimits::parse("task_definition_modify=40/0.5").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn registrations_go_before_clean_up_and_clean_up_gives_up_at_its_deadline() {
        let pacer = Arc::new(Pacer::new(
            RateLimits::parse("task_definition_modify=2/1").unwrap(),
        ));
        let category = Category::TaskDefinitionModify;
        let far = Instant::now() + Duration::from_secs(3600);
        // The one token of the burst (less the margin) goes to a registration.
        assert_eq!(
            pacer
                .acquire(category, Priority::Normal, far)
                .await
                .unwrap(),
            Duration::ZERO
        );
        // Clean-up with a deadline before the next free token: none.
        let soon = Instant::now() + Duration::from_millis(500);
        assert!(
            pacer
                .acquire(category, Priority::Cleanup, soon)
                .await
                .is_err()
        );
        // A clean-up that waits and a registration that comes later: the registration
        // reserves the next token, the clean-up takes the one after.
        let cleanup = tokio::spawn({
            let pacer = pacer.clone();
            async move {
                pacer
                    .acquire(category, Priority::Cleanup, far)
                    .await
                    .unwrap();
                Instant::now()
            }
        });
        tokio::task::yield_now().await;
        let registration = pacer
            .acquire(category, Priority::Normal, far)
            .await
            .unwrap();
        let registered = Instant::now();
        let cleaned = cleanup.await.unwrap();
        assert!(registration <= Duration::from_secs(1), "{registration:?}");
        assert!(cleaned > registered, "clean-up yields to the registration");
    }
}
