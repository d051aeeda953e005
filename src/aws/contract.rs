//! The tag contract between `ecstpl_template` and `ecstpl deploy`: every revision either side
//! registers carries these tags, so each finds the other without extra configuration. They are
//! public behaviour (documented in the README); changing a name breaks existing stacks.

/// On every revision ecstpl registers: `template` or `deployed`.
pub const TAG_ROLE: &str = "ecstpl:role";
pub const ROLE_TEMPLATE: &str = "template";
pub const ROLE_DEPLOYED: &str = "deployed";
/// On template revisions: the family deployed revisions are registered into.
pub const TAG_DEPLOY_FAMILY: &str = "ecstpl:deploy-family";
/// On deployed revisions: `family:revision` of the template revision it was rendered from.
pub const TAG_TEMPLATE: &str = "ecstpl:template";
/// On deployed revisions: comma-separated container names whose image CI set.
pub const TAG_CI_IMAGES: &str = "ecstpl:ci-images";
/// Tags ECS allows on one task definition (API_TagResource.html, "Maximum number of tags per
/// resource: 50").
pub const MAX_TAGS: usize = 50;
/// Tag keys users may not set themselves.
pub const RESERVED_PREFIX: &str = "ecstpl:";
/// On deployed revisions that carry an overlay: [`crate::taskdef::definition_digest`] of what
/// was registered, so status and the data source know an overlaid field is not a hand edit.
pub const TAG_DIGEST: &str = "ecstpl:digest";
