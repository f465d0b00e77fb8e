"""Errors of the JSON API: {"error": {"code": ..., "message": ...}} with a stable English code and an Indonesian
message, for refusals of the API itself and for every HTTP error on an /api path."""
from __future__ import annotations

from flask import jsonify, request

API_PREFIX = "/api/"
REALM = 'Bearer realm="waspada"'

STANDARD = {
    400: ("bad_request", "Permintaan tidak dapat diproses."),
    401: ("unauthorized", "Sertakan token API: header 'Authorization: Bearer <token>'."),
    403: ("forbidden", "Cakupan token ini tidak mengizinkan data ini."),
    404: ("not_found", "Alamat atau data ini tidak ada."),
    405: ("method_not_allowed", "API ini hanya untuk membaca: pakai GET."),
    413: ("payload_too_large", "Kiriman terlalu besar."),
    500: ("server_error", "Terjadi kesalahan di server. Coba lagi; bila berulang, hubungi admin."),
}


class ApiError(Exception):
    """A refusal of the API with its HTTP status, code and Indonesian message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def is_api_request() -> bool:
    """Whether this request is for the JSON API (its errors are JSON, not pages)."""
    return request.path.startswith(API_PREFIX)


def json_error(status: int, code: str | None = None, message: str | None = None):
    """The JSON error response; the standard code and message of `status` unless given."""
    default_code, default_message = STANDARD.get(status, STANDARD[500])
    response = jsonify({"error": {"code": code or default_code, "message": message or default_message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if code == "invalid_token" else "")
    return response
