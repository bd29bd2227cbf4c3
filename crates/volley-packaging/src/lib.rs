//! Python packaging standards, with no IO.
//!
//! Start with [`WheelFilename`] and [`Tags`] (which wheel fits an interpreter, PEP 425/600/656),
//! then [`CoreMetadata`] (the `METADATA` file). Versions and specifiers (PEP 440) come from
//! `pep440_rs`, requirements and markers (PEP 508) and normalized names (PEP 503) from
//! `pep508_rs`; both are re-exported here so that the rest of volley names one crate.
//!
//! Traps of the domain, each handled where its type lives:
//! - names compare only after PEP 503 normalization (`Foo.Bar_baz` is `foo-bar-baz`);
//!   [`PackageName`] does it on parse;
//! - sdist filenames cannot be split without knowing the package ([`SourceDistFilename::parse`]);
//! - tag order is priority order, and it differs per platform ([`Tags::from_input`]);
//! - metadata values are raw RFC 822 text, never RFC 2047-decoded ([`CoreMetadata::parse`]);
//! - `Requires-Python` in the wild has stray commas ([`parse_requires_python`]);
//! - markers are read with `packaging`'s grammar, not pep508_rs's stricter one, and never reach
//!   pep508_rs as text ([`parse_marker`], [`parse_requirement`]): always parse through them.

mod dist_filename;
mod hash;
mod marker;
mod metadata;
mod requirement;
mod source_dist_filename;
mod tags;
mod wheel_filename;

pub use dist_filename::DistFilename;
pub use hash::{HashAlgorithm, HashDigest, HashError};
pub use marker::{
    MarkerContext, MarkerError, MarkerExpression, MarkerOperand, MarkerOperator, parse_marker,
};
pub use metadata::{CoreMetadata, MetadataError, parse_requires_python};
pub use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
pub use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, MarkerTree, PackageName, Requirement,
    VerbatimUrl, VersionOrUrl,
};
pub use requirement::{RequirementError, parse_requirement};
pub use source_dist_filename::{SourceDistExtension, SourceDistFilename, SourceDistFilenameError};
pub use tags::{Arch, Libc, Platform, Tag, TagPriority, Tags, TagsError, TagsInput};
pub use wheel_filename::{WheelFilename, WheelFilenameError};
