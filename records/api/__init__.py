"""The REST API for student information systems, under /api/v1/ (routes in records/api_urls.py).

Every view derives from `records.api.common.ApiView` (scope, key access, throttle, errors);
each is thin: input serializer → service or queryset from the school → output serializer.
"""
