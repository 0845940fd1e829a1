#pragma once

#include <string>

#include "attest/attestation.h"

namespace divaudit::attest {

// Pure renderers of an AttestationData: no I/O, no clock; the same data gives the same bytes.
// Thread-safe for const inputs. Both formats are described in docs/attestation.md.

// The signed evidence: pretty-printed JSON ("schema": "divaudit.attestation/1") ending in LF.
// Org text is escaped with JsonText (bidi controls as \uXXXX).
std::string RenderAttestationJson(const AttestationData& data);

// A rendering of the same data for people: one self-contained HTML file (inline CSS with A4
// print rules, no scripts, no external assets) with the key fingerprint and the exact commands
// that verify the JSON with stock OpenSSL. Org text is escaped with HtmlText.
std::string RenderAttestationHtml(const AttestationData& data);

}  // namespace divaudit::attest
