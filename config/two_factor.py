"""Optional two-factor login with an authenticator app (TOTP, django-otp).

A user who has set it up enters a six-digit code after their password; until then every page
sends them to the code page. TWO_FACTOR_REQUIRED makes it compulsory for coordinators and
superusers: they are sent to set it up before anything else. API tokens are unaffected: a token
is created from a verified session and acts on its own.
"""

import logging
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.api import is_api_request
from config.security import security_event
from config.throttle import allow
from config.views import INVALID_FORM_STATUS, PostOnlyMixin
from meetings.permissions import is_coordinator

DEVICE_NAME = "Authenticator app"
CODE_PENDING = "two_factor_code_pending"  # session key: the password was right, the code is still due


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = self.cleaned_data["code"].strip().replace(" ", "")
        allowed, _ = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError("Too many wrong codes: wait a minute and try again.", code="throttled")
        if not code.isdigit() or not self.device.verify_token(code):
            raise forms.ValidationError("That code is not right, or has expired: enter the current one.")
        return code


class DisableForm(forms.Form):
    """Turning two-factor login off: proof that the person at the keyboard is the account's owner."""

    code = forms.CharField(
        label="A current code from your app",
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    password = forms.CharField(
        label="or your password", required=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, device: TOTPDevice, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.device, self.user = device, user
        if not user.has_usable_password():  # a directory account: its password is not this app's to check
            del self.fields["password"]

    def clean(self):
        code, password = self.cleaned_data.get("code", "").strip(), self.cleaned_data.get("password", "")
        if not code and "password" not in self.fields:
            raise forms.ValidationError("Enter a current code from your app.")
        if code:
            code_form = CodeForm(data={"code": code}, device=self.device)
            if not code_form.is_valid():
                raise forms.ValidationError(code_form.errors["code"])
        elif password:
            if not allow("two-factor-off-password", str(self.user.pk), limit=5):
                raise forms.ValidationError("Too many attempts with a password: use a code, or try again in an hour.")
            if not self.user.check_password(password):
                raise forms.ValidationError("That password is not right: two-factor login stays on.")
        else:
            raise forms.ValidationError("Enter a current code from your app, or your password.")
        return self.cleaned_data


def is_required(user) -> bool:
    """Whether the user must use two-factor login: coordinators and superusers, when the setting says so."""
    return settings.TWO_FACTOR_REQUIRED and is_coordinator(user)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("dashboard")


class TwoFactorSetupView(View):
    """Set up an authenticator app: scan the code, confirm with the first six digits; or turn it off."""

    template_name = "registration/two_factor_setup.html"

    def device(self, request) -> TOTPDevice:
        return (
            confirmed_device(request.user)
            or TOTPDevice.objects.get_or_create(user=request.user, confirmed=False, defaults={"name": DEVICE_NAME})[0]
        )

    def get(self, request):
        return self.render(request, CodeForm(device=self.device(request)))

    def post(self, request):
        device = self.device(request)
        if device.confirmed:
            return redirect("two-factor")  # already set up; turning it off has its own button
        form = CodeForm(request.POST, device=device)
        if not form.is_valid():
            return self.render(request, form, status=INVALID_FORM_STATUS)
        device.confirmed = True
        device.save()
        django_otp.login(request, device)
        security_event(request, "two-factor enabled")
        messages.success(request, "Two-factor login is on: you will be asked for a code after your password.")
        return redirect(next_url(request))

    def render(self, request, form, status=200, disable_form=None):
        device = form.device
        context = {
            "form": form,
            "disable_form": disable_form or DisableForm(device=device, user=request.user),
            "device": device,
            "required": is_required(request.user),
            "next": next_url(request),
        }
        if not device.confirmed:
            key = device.config_url.split("secret=")[1].split("&")[0]
            context["key"] = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
            context["qr"] = segno.make(device.config_url).svg_data_uri(scale=4)  # drawn here: nothing leaves the site
        return render(request, self.template_name, context, status=status)


class TwoFactorDisableView(PostOnlyMixin, View):
    """Turns two-factor login off, given a current code or the password: a session left open is not enough."""

    form_page_name = "two-factor"

    def post(self, request):
        if is_required(request.user):
            messages.error(request, "Two-factor login is required for coordinators: it cannot be turned off.")
            return redirect("two-factor")
        device = confirmed_device(request.user)
        if device is None:
            return redirect("two-factor")
        form = DisableForm(request.POST, device=device, user=request.user)
        if not form.is_valid():
            security_event(request, "two-factor disable refused", logging.WARNING)
            setup = TwoFactorSetupView()
            return setup.render(request, CodeForm(device=device), status=INVALID_FORM_STATUS, disable_form=form)
        TOTPDevice.objects.filter(user=request.user).delete()
        request.session.pop(CODE_PENDING, None)
        security_event(request, "two-factor disabled")
        messages.success(request, "Two-factor login is off.")
        return redirect("two-factor")


class TwoFactorVerifyView(View):
    """The second step of logging in: the code from the authenticator app."""

    template_name = "registration/two_factor_verify.html"

    def get(self, request):
        device = confirmed_device(request.user)
        if device is None or request.user.is_verified():
            return self.nothing_owed(request)
        return render(request, self.template_name, {"form": CodeForm(device=device), "next": next_url(request)})

    def post(self, request):
        device = confirmed_device(request.user)
        if device is None:
            return self.nothing_owed(request)
        form = CodeForm(request.POST, device=device)
        if not form.is_valid():
            security_event(request, "two-factor failed", logging.WARNING)
            context = {"form": form, "next": next_url(request)}
            return render(request, self.template_name, context, status=INVALID_FORM_STATUS)
        django_otp.login(request, device)
        security_event(request, "two-factor verified")
        return self.nothing_owed(request)

    @staticmethod
    def nothing_owed(request):
        """No code is (or is any longer) due: on to where the user was going."""
        request.session.pop(CODE_PENDING, None)
        return redirect(next_url(request))


@receiver(user_logged_in)
def ask_for_the_code(sender, request, user, **kwargs):
    """At login, note in the session whether a code is due: pages then need no query to know it."""
    if confirmed_device(user) is not None:
        request.session[CODE_PENDING] = True


class TwoFactorMiddleware:
    """Sends a logged-in user who owes a code to the code page, and one who must set it up to the setup page.

    Runs after django-otp's OTPMiddleware, which tells whether the session passed the second step.
    Turning two-factor login on applies from the next login: sessions already open continue until
    they end (SESSION_IDLE_TIMEOUT, SESSION_MAX_AGE).
    """

    EXEMPT = ("two-factor", "two-factor-verify", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        if request.path in {reverse(name) for name in self.EXEMPT}:
            return self.get_response(request)
        if request.session.get(CODE_PENDING):
            target = "two-factor-verify"
        elif is_required(user):
            target = "two-factor"
        else:
            return self.get_response(request)
        if is_api_request(request):
            return JsonResponse({"detail": "Complete the two-factor login in the web interface first."}, status=403)
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
