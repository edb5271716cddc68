"""Security middleware of our own: body sizes, pages that must not be cached, and session lifetimes."""

import logging
import time
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from config.api import is_api_request
from config.security import security_event
from config.uploads import largest_file, multipart_body_limit

SESSION_STARTED = "tracker_session_started"
SESSION_SEEN = "tracker_session_seen"
SEEN_RESOLUTION = 60  # seconds: the idle timeout is counted to the minute


class CompressionMiddleware(GZipMiddleware):
    """Pages and JSON are sent gzipped to clients that accept it: the brief, read by everyone before a session,
    shrinks to a twentieth. BREACH (guessing a secret in a compressed page from its size, with input reflected beside
    it) is met as Django meets it: CSRF tokens are masked afresh on every page, and the gzip header has a random
    length. The account pages, which show secrets of their own (the calendar address, a new API token, the
    two-factor key), are never compressed; nor is an answer with an ETag (an API object's version), which
    compression would make weak, and If-Match compares strongly."""

    UNCOMPRESSED = ("/accounts/",)
    COMPRESSED_TYPES = ("text/html", "application/json")  # not Word or PDF (compressed already), files, calendars

    def process_response(self, request, response):
        if (
            request.path.startswith(self.UNCOMPRESSED)
            or response.has_header("ETag")
            or not response.get("Content-Type", "").startswith(self.COMPRESSED_TYPES)
        ):
            return response
        return super().process_response(request, response)


class RequestSizeLimitMiddleware:
    """Refuses with 413 a body longer than the app accepts, before anything reads it (411 for a body
    sent in chunks, whose length is not known).

    Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a form body is read, and not at all for a body
    that the API's parsers read as a stream; a multipart body may carry a file of UPLOAD_MAX_BYTES and the rest
    of its form (the file itself is checked by the form, which says so in its words).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not request.META.get(
            "CONTENT_LENGTH"
        ):
            # Django reads no body without a length: the request would be served as if it had none.
            return self.refuse(request, 411, "Send the body with a Content-Length header: chunked bodies are not read.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = multipart_body_limit() if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            if multipart:
                message = (
                    f"The upload is larger than this app accepts: a file may be up to {largest_file()}, and the "
                    f"files of one upload {largest_file()} in all: send more in another upload."
                )
            else:
                message = f"The request body is larger than this app accepts ({limit:,} bytes)."
            return self.refuse(request, 413, message)
        return self.get_response(request)

    @staticmethod
    def refuse(request, status: int, message: str):
        """Logged; JSON for the API; for a page posting through htmx, the reason in its messages; for a browser,
        the app's page saying it, with the way back to the form."""
        security_event(request, "refused", logging.WARNING, status=status)
        if is_api_request(request):
            return JsonResponse({"detail": message}, status=status)
        if request.headers.get("HX-Request") == "true":
            response = render(request, "includes/refused_message.html", {"reason": message}, status=status)
            response["HX-Retarget"], response["HX-Reswap"] = "#messages", "innerHTML"
            return response
        return render(request, "refused.html", {"reason": message, "back": request.path}, status=status)


class HtmxLoginRedirectMiddleware:
    """An htmx request answered with the login page (the session ended) reloads the whole page there, and
    back to the page the user was on; htmx would otherwise follow the redirect and show the login form
    inside a fragment of the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        to_login = response.status_code == 302 and response.get("Location", "").startswith(settings.LOGIN_URL)
        if to_login and request.headers.get("HX-Request") == "true":
            page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
            return HttpResponseClientRedirect(f"{settings.LOGIN_URL}?next={quote(page, safe='/')}")
        return response


class NoStoreForAuthenticatedMiddleware:
    """Pages for a logged-in user hold working-group data: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class MethodNotAllowedPageMiddleware:
    """An address that takes a form's post only, opened as a page (a refused post without JavaScript leaves the
    browser on it, and Enter in the address bar opens it): a page that says so, rather than a blank 405. The API
    answers in JSON as it does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and request.method == "GET" and not is_api_request(request):
            page = render(request, "405.html", {"form_page": getattr(response, "form_page", "")}, status=405)
            page["Allow"] = response["Allow"]
            return page
        return response


class DeniedRequestLogMiddleware:
    """Every refusal (403) of a logged-in or anonymous request goes to the security log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            security_event(request, "denied", logging.WARNING, status=403)
        return response


def session_ended(idle: bool) -> str:
    """What the login page says when a session was ended for the user."""
    if idle:
        return f"Your session ended after {settings.SESSION_IDLE_TIMEOUT // 60} minutes without activity: log in again."
    return f"Your session ended {settings.SESSION_COOKIE_AGE // 3600} hours after you logged in: log in again."


class SessionTimeoutMiddleware:
    """Ends a session idle for SESSION_IDLE_TIMEOUT seconds, or older than SESSION_COOKIE_AGE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            idle, age = now - seen > settings.SESSION_IDLE_TIMEOUT, now - started > settings.SESSION_COOKIE_AGE
            if idle or age:
                logout(request)
                if is_api_request(request):
                    return JsonResponse({"detail": "Your session has expired: log in again."}, status=401)
                messages.info(request, session_ended(idle))
                return redirect(f"{settings.LOGIN_URL}?next={request.path}")
            # Written at most once a minute (a session write), and often enough for a short idle timeout.
            if (
                now - seen >= min(SEEN_RESOLUTION, settings.SESSION_IDLE_TIMEOUT / 2)
                or SESSION_SEEN not in request.session
            ):
                request.session[SESSION_SEEN] = now  # a session write, so not on every request
        return self.get_response(request)
