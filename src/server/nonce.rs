//! Markup written once with one CSP nonce and sent again with others: the page cache's pages,
//! the head's tags that name the build's files.

use std::sync::Arc;

/// Markup cut where its nonce was; [`NonceTemplate::fill`] puts another one in its place.
#[derive(Clone, Debug)]
pub struct NonceTemplate {
    pieces: Arc<[Box<str>]>,
    /// The length of the markup without its nonces.
    len: usize,
}

impl NonceTemplate {
    /// `html` as written with `nonce` (every occurrence is a place for the next one).
    pub fn new(html: &str, nonce: &str) -> NonceTemplate {
        if nonce.is_empty() {
            return NonceTemplate {
                pieces: Arc::from([Box::from(html)]),
                len: html.len(),
            };
        }
        let pieces: Arc<[Box<str>]> = html.split(nonce).map(Box::from).collect();
        NonceTemplate {
            len: html.len() - (pieces.len() - 1) * nonce.len(),
            pieces,
        }
    }

    /// The markup with `nonce` wherever the first one was.
    pub fn fill(&self, nonce: &str) -> String {
        let mut html = String::with_capacity(self.len + (self.pieces.len() - 1) * nonce.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                html.push_str(nonce);
            }
            html.push_str(piece);
        }
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_place_of_the_nonce_takes_the_new_one() {
        let page = NonceTemplate::new(
            r#"<link crossorigin="N0nce"><script nonce="N0nce">x</script>"#,
            "N0nce",
        );
        assert_eq!(
            page.fill("Fresh1"),
            r#"<link crossorigin="Fresh1"><script nonce="Fresh1">x</script>"#
        );
        assert_eq!(
            NonceTemplate::new("<p>no nonce</p>", "N0nce").fill("Fresh1"),
            "<p>no nonce</p>"
        );
        assert_eq!(
            NonceTemplate::new("<p>a</p>", "").fill("Fresh1"),
            "<p>a</p>"
        );
    }
}
