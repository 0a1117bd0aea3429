from checkout import create_app

app = create_app()
