//! The signed-in user's own things in AWS — their profile picture in S3 and their preferences
//! in DynamoDB — reached with *their* temporary credentials from the identity pool
//! ([`crate::auth::identity_pool`]), never with the server's own. On AWS the identity pool's
//! authenticated role lets those credentials reach only `avatars/<their identity id>/*` and
//! the preferences item whose key is their identity id; the keys used here name that id.

pub mod picture;
pub mod preferences;
