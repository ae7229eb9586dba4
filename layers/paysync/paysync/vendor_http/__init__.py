"""The HTTP plumbing both vendor clients share, written once.

- ``retry``: which failures are worth another attempt and how long to wait before it;
- ``headers``: what a server says about when to come back (``Retry-After``, ``X-Rate-Limit-Reset``);
- ``jsonbody``: JSON both ways (bodies sent in pieces, answers read with the client's own error);
- ``client``: the httpx client a vendor client owns or borrows, and secrets kept out of messages.

What is a vendor's own stays in its package: Silae's OAuth2 and API Management refusals,
MyUnisoft's pacer and its writes that are looked up before being repeated.
"""
