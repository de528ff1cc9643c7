print("mgprove")
