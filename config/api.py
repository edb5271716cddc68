"""The REST API's shared parts: pagination, parsing, model validation, schema hooks. It imports no app:
the apps' API modules build on it, and config/urls.py assembles the router."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination

from config.access import log_if_hidden

API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    """A request of a script rather than a person: refusals answer in JSON, never with a page or a login form."""
    return request.path.startswith(API_PREFIX)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering JSON nested too deeply for Python's parser with 400 instead of 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """The asked page size, refused with 400 unless a whole number from 1 to max_page_size."""
        asked = request.query_params.get(self.page_size_query_param)
        if not asked:  # absent or empty, as for the page number
            return self.page_size
        if not asked.isdigit() or not 1 <= int(asked) <= self.max_page_size:
            raise serializers.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(asked)


class LogHiddenMixin:
    """A 404 for an object that exists but is out of the user's sight goes to the security log."""

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            lookup = self.lookup_url_kwarg or self.lookup_field
            log_if_hidden(self.request, self.get_queryset().model, pk=self.kwargs[lookup])
            raise


def many_to_many(model) -> set[str]:
    return {field.name for field in model._meta.many_to_many}


class ModelCleanMixin:
    """Runs the model's own clean() and constraints, so that the API refuses what the forms refuse (400)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance or self.Meta.model()
        for name, value in attrs.items():
            if name not in many_to_many(self.Meta.model):
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=self.clean_exclude())
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs

    def clean_exclude(self) -> list[str]:
        """Fields the serializer does not set are left to the model's defaults."""
        writable = {name for name, field in self.fields.items() if not field.read_only}
        return [f.name for f in self.Meta.model._meta.fields if f.name not in writable]


class RefuseUnknownFieldsMixin:
    """A field the serializer does not have is refused (400), not ignored: a client with a typo in a field
    name learns it at once instead of believing its change was made."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(name for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class TrackedModelSerializer(RefuseUnknownFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    # Saves with the acting user in the audit history (token requests carry no user for the middleware).
    # Not a docstring: the schema would publish it as the description of every serializer built on this one.

    def create(self, validated_data):
        related = self.pop_many_to_many(validated_data)
        instance = self.Meta.model(**validated_data)
        self.save_instance(instance)
        self.set_many_to_many(instance, related)
        return instance

    def update(self, instance, validated_data):
        related = self.pop_many_to_many(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        self.save_instance(instance)
        self.set_many_to_many(instance, related)
        return instance

    def pop_many_to_many(self, validated_data) -> dict:
        return {name: validated_data.pop(name) for name in many_to_many(self.Meta.model) if name in validated_data}

    @staticmethod
    def set_many_to_many(instance, related: dict) -> None:
        for name, values in related.items():
            getattr(instance, name).set(values)

    def save_instance(self, instance) -> None:
        instance._history_user = self.context["request"].user
        instance.save()


ERROR_SCHEMA = {
    "type": "object",
    "description": 'An error: {"detail": "…"}, or the errors by field: {"field": ["…"]}.',
    "additionalProperties": True,
}
ERROR_RESPONSES = {
    "400": "Invalid input or filter: the errors by field.",
    "401": "No valid credentials (session or token).",
    "403": "Your role does not allow this, or a CSRF token is missing.",
    "404": "Not found, not in your working groups, or a page past the last.",
}
BODY_ERRORS = {"415": "The body is not JSON: send Content-Type: application/json."}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the errors it can answer; those with a
    body, also 415 for a body that is not JSON."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = ERROR_RESPONSES | (BODY_ERRORS if "requestBody" in operation else {})
            for code, description in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


def document_empty_parameters(result, generator, request, public):
    """drf-spectacular post-processing hook: a query parameter sent empty (`?status=`, as an HTML form sends an
    unused field) is as if it were not sent; the schema says so with allowEmptyValue."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result
