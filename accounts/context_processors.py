from accounts.roles import is_auditor, is_staff_member


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_staff_member": False, "is_auditor": False, "is_client_user": False}
    # Imported here: clients imports accounts, and this runs only while rendering.
    from clients.selectors import membership_of

    return {
        "is_staff_member": is_staff_member(user),
        "is_auditor": is_auditor(user),
        "is_client_user": membership_of(user) is not None,
    }
