//! Resolver tests against in-memory indexes: scenarios, conflict reports, and properties checked
//! on random small indexes.

mod index;
mod order;
mod properties;
mod reports;
mod scale;
mod scenarios;
