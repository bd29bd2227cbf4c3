//! The installer's integration tests, one binary: `install_wheel` and `uninstall` (`install`),
//! the unpacked cache, link modes, transactions and bytecode (`installer`), unpacking while the
//! wheel downloads (`stream`).

mod common;
mod install;
mod installer;
mod stream;
