/**
 * The project's only third-party dependencies, named by full `npm:` specifier so that the module works when it
 * is imported by URL, where no import map applies.
 *
 * @module
 */
export * as asn1X509 from "npm:@peculiar/asn1-x509@2.11.1";
export * as asn1Schema from "npm:@peculiar/asn1-schema@2.11.1";
export * as asn1Ecc from "npm:@peculiar/asn1-ecc@2.11.1";
export * as asn1Rsa from "npm:@peculiar/asn1-rsa@2.11.1";
