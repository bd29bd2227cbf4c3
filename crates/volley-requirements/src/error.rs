//! The crate's one error type. Every variant that comes from a line names the file and the line.
//!
//! Messages are complete on their own: they include the underlying IO or parse error, which is
//! therefore not also exposed as `source()` (an error-chain printer would show it twice).

use std::io;
use std::path::PathBuf;

use volley_packaging::RequirementError;

use crate::Origin;

/// A requirements file that cannot be read or does not mean anything valid.
#[derive(Debug, thiserror::Error)]
pub enum RequirementsError {
    /// The top-level file cannot be read (the IO error names the path).
    #[error("could not read requirements file: {0}")]
    Read(io::Error),
    /// A file named by `-r`/`-c` cannot be read.
    #[error("error in {origin}: could not read requirements file: {error}")]
    ReadNested { origin: Origin, error: io::Error },
    /// A file named by `-r`/`-c` cannot be decoded.
    #[error("error in {origin}: {error}")]
    DecodeNested {
        origin: Origin,
        error: Box<RequirementsError>,
    },
    #[error("could not read requirements file \"{}\": it is not valid {encoding}", path.display())]
    Decode { path: PathBuf, encoding: String },
    #[error(
        "could not read requirements file \"{}\": its encoding \"{encoding}\" is not supported (use UTF-8)",
        path.display()
    )]
    UnsupportedEncoding { path: PathBuf, encoding: String },
    #[error("error in {origin}: {error}")]
    InvalidRequirement {
        origin: Origin,
        error: RequirementError,
    },
    #[error("error in {origin}: could not split options \"{options}\": no closing quotation")]
    UnclosedQuote { origin: Origin, options: String },
    #[error("error in {origin}: no such option: {option}")]
    UnknownOption { origin: Origin, option: String },
    #[error("error in {origin}: ambiguous option: {option} (could be {candidates})")]
    AmbiguousOption {
        origin: Origin,
        option: String,
        candidates: String,
    },
    #[error("error in {origin}: option {option} requires a value")]
    MissingValue { origin: Origin, option: String },
    #[error("error in {origin}: option {option} does not take a value, got \"{value}\"")]
    UnexpectedValue {
        origin: Origin,
        option: String,
        value: String,
    },
    #[error(
        "error in {origin}: invalid hash \"{value}\": expected a hash name followed by a value, like --hash=sha256:abcde..."
    )]
    InvalidHash { origin: Origin, value: String },
    #[error(
        "error in {origin}: hash algorithm \"{algorithm}\" is not allowed for --hash (use sha256, sha384 or sha512)"
    )]
    WeakHash { origin: Origin, algorithm: String },
    #[error("error in {origin}: invalid --config-settings \"{value}\": expected KEY=VALUE")]
    InvalidConfigSetting { origin: Origin, value: String },
    #[error("error in {origin}: requirements file \"{}\" includes itself: {chain}", path.display())]
    Cycle {
        origin: Origin,
        path: PathBuf,
        /// The files from the outermost to the repeated one, joined with ` -> `.
        chain: String,
    },
    #[error(
        "error in {origin}: requirements files are nested more than {limit} deep (\"{}\" would be one deeper)",
        path.display()
    )]
    TooDeep {
        origin: Origin,
        path: PathBuf,
        limit: usize,
    },
    #[error(
        "error in {origin}: nested remote requirements file \"{url}\" is not supported (pass it with -r URL on the command line, or download it)"
    )]
    Remote { origin: Origin, url: String },
    #[error(
        "remote requirements file \"{url}\" is not supported yet (download it and pass the local path)"
    )]
    RemoteTopLevel { url: String },
    #[error("invalid file URL \"{url}\" for a requirements file")]
    InvalidFileUrlTopLevel { url: String },
    #[error("error in {origin}: invalid file URL \"{url}\"")]
    InvalidFileUrl { origin: Origin, url: String },
    #[error(
        "error in {origin}: unnamed requirement \"{requirement}\" is not allowed as a constraint"
    )]
    UnnamedConstraint { origin: Origin, requirement: String },
    #[error(
        "error in {origin}: editable requirement \"{requirement}\" is not allowed as a constraint"
    )]
    EditableConstraint { origin: Origin, requirement: String },
    #[error(
        "error in {origin}: constraint \"{requirement}\" has extras, which constraints cannot have"
    )]
    ConstraintExtras { origin: Origin, requirement: String },
}
