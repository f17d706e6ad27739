from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, letting authenticate() calls without a request through.

    Axes refuses those with an exception. Every log-in from the web passes its request (the log-in
    page, the admin), so those are all counted; the calls without one come from code on the
    server itself, such as Django's test Client.login(), and there is no address to count.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
