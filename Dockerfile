# One Etcd.Node member. Built by docker-compose.yml for its three-member cluster; on its own:
#   docker build -t etcd-actors .
#   docker run --rm -p 2379:2379 -v etcd-data:/var/lib/etcd etcd-actors
# Arguments after the image name are etcd's flags (see docker-compose.yml); with none the container is a
# single member listening on every address, its data in the /var/lib/etcd volume (CMD below).

# ---- build: the SDK compiles and publishes Etcd.Node and the library it needs, nothing else ----
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Project files first, so the restore layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Etcd.Actors/Etcd.Actors.csproj Etcd.Actors/
COPY Etcd.Node/Etcd.Node.csproj Etcd.Node/
RUN dotnet restore Etcd.Node/Etcd.Node.csproj
COPY protos/ protos/
COPY Etcd.Actors/ Etcd.Actors/
COPY Etcd.Node/ Etcd.Node/
RUN dotnet publish Etcd.Node/Etcd.Node.csproj -c Release --no-restore -o /app

# ---- runtime: ASP.NET Core (Kestrel serves the gRPC API), no SDK ----
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The image's own default (ASPNETCORE_HTTP_PORTS=8080) would be overridden by the client URLs anyway,
# with a misleading warning at every start.
ENV ASPNETCORE_HTTP_PORTS=
# The volume is created owned by the image's unprivileged user, which the node runs as.
RUN mkdir -p /var/lib/etcd && chown "$APP_UID" /var/lib/etcd
VOLUME /var/lib/etcd
USER $APP_UID
# 2379 clients (gRPC), 2380 peers (Raft over Akka.Remote).
EXPOSE 2379 2380
ENTRYPOINT ["dotnet", "/app/Etcd.Node.dll"]
# With no arguments: one member on every address, data in the volume. Arguments given to `docker run`
# (or a compose `command:`) replace all of these, so such a list names its own --data-dir.
CMD ["--data-dir", "/var/lib/etcd", \
     "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://localhost:2379", \
     "--listen-peer-urls", "http://0.0.0.0:2380", "--initial-advertise-peer-urls", "http://localhost:2380"]
