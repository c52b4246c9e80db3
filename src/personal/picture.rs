//! The profile picture: one object per identity, `avatars/<identity id>/picture`, put by the
//! browser straight to S3 with a presigned PUT (the user's credentials; content type and exact
//! length signed in; five minutes) or through the app without JavaScript, and read back
//! through the app. The type is checked twice: from what the browser declares before anything
//! is signed, and from the bytes themselves whenever the app holds them (an upload through the
//! app, every read): a file that is not a JPEG, PNG or WebP image is never stored by the app
//! nor served as one.

use crate::auth::identity_pool::UserCredentials;
use aws_sdk_s3 as s3;
use s3::error::ProvideErrorMetadata;
use s3::presigning::PresigningConfig;
use std::time::Duration;

/// The largest picture accepted.
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;
/// How long a presigned upload stays valid.
pub const UPLOAD_VALID_FOR: Duration = Duration::from_secs(300);

/// The image types accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    /// From a declared `Content-Type` (parameters and case ignored).
    pub fn from_content_type(content_type: &str) -> Option<ImageKind> {
        let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" => Some(ImageKind::Jpeg),
            "image/png" => Some(ImageKind::Png),
            "image/webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }

    /// From the file's first bytes (its signature), whatever it claims to be.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }
}

/// Why a file is not taken: the user's input, not a failure (its text is what they read,
/// next to the field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    WrongType,
    TooLarge,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Empty => "Choose a picture to upload.",
            Refusal::WrongType => "Choose a JPEG, PNG or WebP image.",
            Refusal::TooLarge => "This picture is larger than 2 MB. Choose a smaller one.",
        })
    }
}

/// A declared upload: its type must be one of ours and its length 1 byte to [`MAX_BYTES`].
pub fn check_declared(content_type: &str, length: u64) -> Result<ImageKind, Refusal> {
    if length == 0 {
        return Err(Refusal::Empty);
    }
    let kind = ImageKind::from_content_type(content_type).ok_or(Refusal::WrongType)?;
    if length > MAX_BYTES {
        return Err(Refusal::TooLarge);
    }
    Ok(kind)
}

/// A file the app holds: its length, and its type from its bytes.
pub fn check_bytes(bytes: &[u8]) -> Result<ImageKind, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(Refusal::TooLarge);
    }
    ImageKind::sniff(bytes).ok_or(Refusal::WrongType)
}

#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("S3 {op}: {message}")]
    Storage { op: &'static str, message: String },
    #[error("presigning the upload: {0}")]
    Presign(String),
}

impl PictureError {
    fn storage<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
        op: &'static str,
    ) -> impl FnOnce(s3::error::SdkError<E, s3::config::http::HttpResponse>) -> PictureError {
        move |e| PictureError::Storage {
            op,
            message: crate::support::errors::error_chain(&e),
        }
    }
}

/// A presigned upload: the browser sends exactly these headers with the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// A stored picture, as read back.
#[derive(Clone, Debug)]
pub struct Picture {
    pub kind: ImageKind,
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
}

/// What a read of the user's picture found.
#[derive(Clone, Debug)]
pub enum Found {
    /// No picture (or a stored object that is not an image).
    Nothing,
    /// The same as the copy the browser holds (its ETag matched).
    Unchanged,
    Picture(Picture),
}

/// The key of `identity_id`'s picture: under the prefix the role allows them.
pub fn key_of(identity_id: &str) -> String {
    format!("avatars/{identity_id}/picture")
}

/// The bucket, and the S3 client settings every user's client starts from (region, endpoint,
/// timeouts, HTTP client); each call adds the user's own credentials.
#[derive(Clone, Debug)]
pub struct Pictures {
    bucket: String,
    base: s3::Config,
}

impl Pictures {
    pub fn new(bucket: String, base: s3::Config) -> Pictures {
        Pictures { bucket, base }
    }

    fn client(&self, creds: &UserCredentials) -> s3::Client {
        s3::Client::from_conf(
            self.base
                .to_builder()
                .credentials_provider(creds.for_sdk())
                .build(),
        )
    }

    /// A PUT of exactly `length` bytes of `kind` to the user's key, valid [`UPLOAD_VALID_FOR`].
    pub async fn presign_upload(
        &self,
        creds: &UserCredentials,
        kind: ImageKind,
        length: u64,
    ) -> Result<Upload, PictureError> {
        let presigning = PresigningConfig::expires_in(UPLOAD_VALID_FOR)
            .map_err(|e| PictureError::Presign(e.to_string()))?;
        let request = self
            .client(creds)
            .put_object()
            .bucket(&self.bucket)
            .key(key_of(&creds.identity_id))
            .content_type(kind.content_type())
            .content_length(length as i64)
            .presigned(presigning)
            .await
            .map_err(|e| PictureError::Presign(crate::support::errors::error_chain(&e)))?;
        Ok(Upload {
            url: request.uri().to_string(),
            headers: request
                .headers()
                // The browser sets Content-Length itself (it may not be set by a script); it
                // is signed, so S3 refuses any other length.
                .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        })
    }

    /// Stores a picture the app received (checked with [`check_bytes`] first).
    pub async fn put(
        &self,
        creds: &UserCredentials,
        kind: ImageKind,
        bytes: Vec<u8>,
    ) -> Result<(), PictureError> {
        self.client(creds)
            .put_object()
            .bucket(&self.bucket)
            .key(key_of(&creds.identity_id))
            .content_type(kind.content_type())
            .body(bytes.into())
            .send()
            .await
            .map(|_| ())
            .map_err(PictureError::storage("PutObject"))
    }

    /// The user's picture, unless it is unchanged since `if_none_match` (an ETag the browser
    /// holds: S3 then answers 304 and sends nothing). The role has no `s3:ListBucket`, so on
    /// AWS a missing object answers 403, not 404: both mean "no picture". A stored object that
    /// is not an image (a direct upload that lied about its type) is treated as none.
    pub async fn get(
        &self,
        creds: &UserCredentials,
        if_none_match: Option<&str>,
    ) -> Result<Found, PictureError> {
        let answer = self
            .client(creds)
            .get_object()
            .bucket(&self.bucket)
            .key(key_of(&creds.identity_id))
            .set_if_none_match(if_none_match.map(String::from))
            .send()
            .await;
        let object = match answer {
            Ok(object) => object,
            Err(e) if status_of(&e) == Some(304) => return Ok(Found::Unchanged),
            Err(e) if absent(&e) => return Ok(Found::Nothing),
            Err(e) => return Err(PictureError::storage("GetObject")(e)),
        };
        let etag = object.e_tag().map(String::from);
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| PictureError::Storage {
                op: "GetObject",
                message: e.to_string(),
            })?
            .into_bytes()
            .to_vec();
        Ok(match check_bytes(&bytes) {
            Ok(kind) => Found::Picture(Picture { kind, bytes, etag }),
            Err(refusal) => {
                tracing::warn!(%refusal, "the stored picture is not an image: not served");
                Found::Nothing
            }
        })
    }

    /// Whether the user has a picture (a `HEAD`; absent as in [`Pictures::get`]).
    pub async fn exists(&self, creds: &UserCredentials) -> Result<bool, PictureError> {
        match self
            .client(creds)
            .head_object()
            .bucket(&self.bucket)
            .key(key_of(&creds.identity_id))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if absent(&e) => Ok(false),
            Err(e) => Err(PictureError::storage("HeadObject")(e)),
        }
    }

    /// Removes the user's picture (removing none is not an error).
    pub async fn remove(&self, creds: &UserCredentials) -> Result<(), PictureError> {
        self.client(creds)
            .delete_object()
            .bucket(&self.bucket)
            .key(key_of(&creds.identity_id))
            .send()
            .await
            .map(|_| ())
            .map_err(PictureError::storage("DeleteObject"))
    }
}

fn status_of<E>(e: &s3::error::SdkError<E, s3::config::http::HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

/// A 404, or a 403 (no `s3:ListBucket`: how S3 says "no such key" to this role). A 403 is
/// also what a broken role policy gives: logged, so that "no picture for anyone" is traceable.
fn absent<E: ProvideErrorMetadata>(
    e: &s3::error::SdkError<E, s3::config::http::HttpResponse>,
) -> bool {
    match status_of(e) {
        Some(404) => true,
        Some(403) => {
            let code = e.as_service_error().and_then(|s| s.code()).unwrap_or("-");
            tracing::debug!(code, "S3 answered 403 for the user's picture: read as none");
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_and_lengths_are_checked_before_anything_is_signed() {
        assert_eq!(check_declared("image/png", 10), Ok(ImageKind::Png));
        assert_eq!(check_declared("IMAGE/JPEG; q=1", 10), Ok(ImageKind::Jpeg));
        assert_eq!(check_declared("image/webp", MAX_BYTES), Ok(ImageKind::Webp));
        assert_eq!(
            check_declared("image/webp", MAX_BYTES + 1),
            Err(Refusal::TooLarge)
        );
        assert_eq!(check_declared("image/gif", 10), Err(Refusal::WrongType));
        assert_eq!(check_declared("text/html", 10), Err(Refusal::WrongType));
        assert_eq!(check_declared("image/png", 0), Err(Refusal::Empty));
    }

    #[test]
    fn bytes_are_judged_by_their_signature_not_their_name() {
        assert_eq!(check_bytes(b"\x89PNG\r\n\x1a\nrest"), Ok(ImageKind::Png));
        assert_eq!(check_bytes(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(ImageKind::Jpeg));
        assert_eq!(check_bytes(b"RIFF\x10\0\0\0WEBPVP8 "), Ok(ImageKind::Webp));
        assert_eq!(
            check_bytes(b"<svg onload=alert(1)>"),
            Err(Refusal::WrongType)
        );
        assert_eq!(check_bytes(b"RIFF\x10\0\0\0WAVE"), Err(Refusal::WrongType));
        assert_eq!(check_bytes(b""), Err(Refusal::Empty));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_BYTES as usize + 1, 0);
        assert_eq!(check_bytes(&big), Err(Refusal::TooLarge));
    }

    fn query(url: &str, name: &str) -> Option<String> {
        url.split_once('?')?
            .1
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .map(|v| v.replace("%3B", ";").replace("%3b", ";"))
    }

    #[tokio::test]
    async fn an_upload_is_signed_for_the_user_s_key_type_and_length_for_five_minutes() {
        let base = s3::Config::builder()
            .region(s3::config::Region::new("eu-west-1"))
            .behavior_version(s3::config::BehaviorVersion::latest())
            .build();
        let pictures = Pictures::new("pics".into(), base);
        let creds = UserCredentials::new(
            "eu-west-1:abc".into(),
            "ASIAEXAMPLE".into(),
            "secret",
            "session-token",
            i64::MAX / 2,
        );
        let upload = pictures
            .presign_upload(&creds, ImageKind::Png, 1234)
            .await
            .unwrap();
        assert!(
            upload.url.starts_with(
                "https://pics.s3.eu-west-1.amazonaws.com/avatars/eu-west-1%3Aabc/picture?"
            ),
            "{}",
            upload.url
        );
        assert_eq!(query(&upload.url, "X-Amz-Expires").as_deref(), Some("300"));
        let signed = query(&upload.url, "X-Amz-SignedHeaders").unwrap();
        for header in ["content-length", "content-type", "host"] {
            assert!(signed.split(';').any(|h| h == header), "{signed}");
        }
        assert!(query(&upload.url, "X-Amz-Security-Token").is_some());
        assert!(upload
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v == "image/png"));
        assert!(!upload
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length")));
    }

    #[test]
    fn the_key_is_under_the_identity_s_own_prefix() {
        assert_eq!(
            key_of("eu-west-1:1234-abcd"),
            "avatars/eu-west-1:1234-abcd/picture"
        );
    }
}
