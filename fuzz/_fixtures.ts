/**
 * Fixed certificates for the fuzzer (Ed25519, valid 2025-01-01 to 2035-01-01; the fuzzer's clock is fixed
 * inside that window), so that every run sends the same bytes and a failing case reproduces from its seed.
 * Test keys only: they protect nothing.
 *
 * @module
 */

/** The CA that issued {@link SERVER} and {@link CLIENT}. */
export const ROOT: { readonly cert: string; readonly key: string } = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBVzCCAQmgAwIBAgIQRuDXb4tHM2Y40TO1wNAbpTAFBgMrZXAwGzEZMBcGA1UE
AwwQc3VidGxzIEZ1enogUm9vdDAeFw0yNTAxMDEwMDAwMDBaFw0zNTAxMDEwMDAw
MDBaMBsxGTAXBgNVBAMMEHN1YnRscyBGdXp6IFJvb3QwKjAFBgMrZXADIQDg71cy
8noG8WAHrnelzsjJQaBDjVVdI8/6Wz+bB8bGxqNjMGEwDwYDVR0TAQH/BAUwAwEB
/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFJR8Rvfksp2OtUKVFzB4g6tp1KGJ
MB8GA1UdIwQYMBaAFJR8Rvfksp2OtUKVFzB4g6tp1KGJMAUGAytlcANBAPzpQxDp
f/02Axrjq/CwDpWoifBPBvIEz3QIc3qPpjBwpUKkakv/2ZngwrjFpI+EXe+8cMhw
/o68VRV+aw5OCgA=
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIAL1GcuIcjQ7fcMOxu913bdX3UhI73hjRTGaJkbJtvLf
-----END PRIVATE KEY-----
`,
};

/** The server certificate: "localhost", serverAuth. */
export const SERVER: { readonly cert: string; readonly key: string } = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBejCCASygAwIBAgIQcjnNq5mmc8rTgMYwtfVVwzAFBgMrZXAwGzEZMBcGA1UE
AwwQc3VidGxzIEZ1enogUm9vdDAeFw0yNTAxMDEwMDAwMDBaFw0zNTAxMDEwMDAw
MDBaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDAqMAUGAytlcAMhACe4+XYsunu9bSuL
TNIO0TuwIOUri/J0yScLYwOvW6Zho4GMMIGJMAwGA1UdEwEB/wQCMAAwDgYDVR0P
AQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMBQGA1UdEQQNMAuCCWxvY2Fs
aG9zdDAdBgNVHQ4EFgQUMGwxMFU+CivcQu17poPGZCIJyKwwHwYDVR0jBBgwFoAU
lHxG9+SynY61QpUXMHiDq2nUoYkwBQYDK2VwA0EAwq17X0KkxcoDfzNAPn002Ykz
UYeRLV8rRgENjPHf5uKOxoypOAwNccGxRbBvU6DAAzoHjcVVvXqlsxvxNJiTBw==
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIKBuDveP+5FfCoy10DiQ6avgrcNmC7u6alCx3uQk/5PN
-----END PRIVATE KEY-----
`,
};

/** A client certificate: clientAuth. */
export const CLIENT: { readonly cert: string; readonly key: string } = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBZDCCARagAwIBAgIQSyUxMVOzvd0Er3eWrEcwgzAFBgMrZXAwGzEZMBcGA1UE
AwwQc3VidGxzIEZ1enogUm9vdDAeFw0yNTAxMDEwMDAwMDBaFw0zNTAxMDEwMDAw
MDBaMBYxFDASBgNVBAMMC2Z1enogY2xpZW50MCowBQYDK2VwAyEABSgJEbblBbJp
o58+JARku2EQKOmvvz3LwoDNpt+EHQCjdTBzMAwGA1UdEwEB/wQCMAAwDgYDVR0P
AQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMCMB0GA1UdDgQWBBTcMFmmBbI3
d3RRxnrF0N8cHXt0YDAfBgNVHSMEGDAWgBSUfEb35LKdjrVClRcweIOradShiTAF
BgMrZXADQQBqTfXLwlqCv3BSFdze8WV7Tm+Z7ifYrMz5AzHVYzYc57gS4f/4FLvr
+zD4QOVtCmpjF4FAuzSAk2b0xduiRCUP
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIG9JSvzScfzN4UHEWEe4TOjBmXn48C+fdfny216YvSIH
-----END PRIVATE KEY-----
`,
};
