/* Staff sign-in through Cognito's hosted UI: the authorization code grant with PKCE (RFC 7636),
   so a code caught on its way back to the page is worth nothing without the verifier this
   page keeps, and a state nobody can guess, both from the browser's own random source. */
(function (root) {
  "use strict";

  /** Bytes as base64url without padding (RFC 4648 §5), as PKCE and JWTs write them. */
  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return root.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** 32 random bytes as text: a code verifier (43 characters) or a state. */
  function randomText(crypto) {
    var bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  /** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
  function challenge(crypto, verifier) {
    return crypto.subtle.digest("SHA-256", new root.TextEncoder().encode(verifier)).then(function (digest) {
      return base64url(new Uint8Array(digest));
    });
  }

  root.T311Pkce = { base64url: base64url, randomText: randomText, challenge: challenge };
})(typeof window !== "undefined" ? window : globalThis);
