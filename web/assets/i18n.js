/* The pages' words in English and Spanish. The language comes from ?lang=, then the visitor's
 * earlier choice, then the browser's; the visible switch changes it and <html lang> follows.
 * Elements carry data-i18n (text), data-i18n-aria-label or data-i18n-placeholder keys. */
(function () {
  "use strict";

  var words = {
    en: {
      "lang.name": "English",
      "form.service.count.one": "1 service matches",
      "nearby.found.one": "1 open request for the same problem is nearby.",
      "admin.count.one": "1 request",
      "admin.photos_waiting.one": "1 photo received, waiting to be processed",
      skip: "Skip to content",
      "nav.label": "Pages",
      "nav.report": "Report a problem",
      "nav.status": "Check a request",
      "foot.emergency": "In an emergency, call 911.",
      "required.mark": "(required)",
      "optional.mark": "(optional)",
      "errors.heading": "Please fix the following",

      "form.title": "Report a problem",
      "form.heading": "Report a problem",
      "form.intro": "Tell us what is wrong and where. It takes about two minutes; you get a ticket number at once.",
      "form.loading": "Loading the list of services…",
      "form.service.legend": "1. What is the problem?",
      "form.service.search": "Search the services",
      "form.service.search_hint": "For example: pothole, streetlight, trash",
      "form.service.count": "{n} services match",
      "form.service.none": "No service matches. Try another word, or clear the search to see them all.",
      "form.service.other": "Other",
      "form.questions.legend": "2. A few questions",
      "form.location.legend": "3. Where is it?",
      "form.location.help": "Tap the map to place the pin, or drag the pin. You can also type an address or coordinates.",
      "form.location.tiles_failed": "The map images could not load. Type the address or the coordinates instead.",
      "form.location.use_mine": "Use my location",
      "form.location.address": "Address or nearest landmark",
      "form.location.address_hint": "For example: 12 Main Street, or the corner of Oak and Elm",
      "form.location.lat": "Latitude",
      "form.location.long": "Longitude",
      "form.location.map": "Map: tap to place the pin",
      "form.location.pin": "Location of the problem",
      "form.location.finding": "Finding your location…",
      "form.location.found": "Your location was placed on the map and in the coordinates.",
      "form.location.denied": "Your location could not be found. Place the pin or type the address.",
      "form.location.unavailable": "This browser cannot share its location. Place the pin or type the address.",
      "address.suggestions": "Addresses that match",
      "address.found": "{n} addresses found. Use the up and down arrows to choose one.",
      "address.found.one": "1 address found. Use the down arrow to choose it.",
      "address.chosen": "{address} chosen; the pin is on the map.",
      "address.under_pin": "Address under the pin: {address}",
      "form.photos.legend": "4. Photos (optional, up to 3)",
      "form.photos.add": "Add photos",
      "form.photos.hint": "Photos are made smaller on your device before they are sent.",
      "form.photos.list": "Photos added",
      "form.photos.alt": "Photo {n}",
      "form.photos.remove": "Remove photo {n}",
      "form.photos.preparing": "Preparing the photos…",
      "form.photos.count": "{n} of {max} photos added",
      "form.photos.too_many": "Only {n} photos can be added; the others were left out.",
      "form.photos.unreadable": "A photo could not be read. Try a JPEG or PNG photo.",
      "form.description": "5. Describe the problem (optional)",
      "form.description_hint": "What you see, and anything that helps the crew find it.",
      "form.contact.legend": "6. Your contact (optional)",
      "form.contact.why": "Give an email or phone number to hear when the request changes. It is never shown to the public.",
      "form.contact.first_name": "First name",
      "form.contact.last_name": "Last name",
      "form.contact.email": "Email",
      "form.contact.phone": "Mobile phone",
      "form.contact.notify_by": "How should we tell you about changes?",
      "form.contact.by_email": "By email",
      "form.contact.by_sms": "By text message (SMS)",
      "form.submit": "Send the report",
      "form.sending": "Sending your report…",

      "nearby.heading": "Already reported nearby?",
      "nearby.intro": "These open requests for the same problem are close to your pin. Following one gets you its updates without a new report.",
      "nearby.follow": "Follow this one instead",
      "nearby.found": "{n} open requests for the same problem are nearby.",
      "nearby.metres": "{n} m away",
      "nearby.reported": "reported {when}",
      "nearby.no_address": "no address given",
      "nearby.need_contact": "To follow a request, give an email or a phone number so we can tell you about changes.",

      "confirm.heading": "Thank you, your report was received",
      "confirm.ticket": "Your ticket number",
      "confirm.expected": "Expected by",
      "confirm.expected_unknown": "No date promised yet",
      "confirm.department": "Handled by",
      "confirm.contact": "Questions",
      "confirm.follow_status": "See its status",
      "confirm.another": "Report another problem",
      "following.heading": "You are following this request",
      "following.body": "We will tell you when it changes. No new report was made.",

      "error.service": "Choose the kind of problem",
      "error.answer_required": "Answer this question",
      "error.number": "Enter a number, like 4 or 2.5",
      "error.datetime": "Enter a date and time",
      "error.location": "Place the pin on the map, or type an address or coordinates",
      "error.coordinates": "Enter a latitude from -90 to 90 and a longitude from -180 to 180",
      "error.email": "Enter an email address like name@example.com",
      "error.phone": "Enter a phone number with its area code",
      "error.sms_needs_phone": "To get text messages, give a mobile phone number",
      "error.network": "The request could not be sent: check your connection and try again.",
      "error.generic": "Something went wrong (error {status}). Please try again.",
      "error.signin": "Your sign-in has ended. Sign in again.",

      "status.title": "Check a request",
      "status.heading": "Check a request",
      "status.number": "Ticket number",
      "status.number_hint": "Eight letters and digits, like 8JXK-RNBS",
      "status.look_up": "Look it up",
      "status.looking": "Looking up the request…",
      "status.bad_number": "Enter the eight letters and digits of the ticket number, like 8JXK-RNBS",
      "status.not_found": "No request {id} was found. Check the number and try again.",
      "status.found": "Request {id}: {state}",
      "status.request": "{id}: {service}",
      "status.state": "Status",
      "status.requested": "Reported",
      "status.where": "Where",
      "status.description": "Description",
      "status.history": "History",
      "status.latest_note": "Latest note from the town: {note}",
      "state.open": "Open",
      "state.closed": "Closed",

      "history.submitted": "Request received",
      "history.status_changed": "Status changed",
      "history.assigned": "Assigned to a crew",
      "history.department_changed": "Passed to another department",
      "history.scheduled": "Work scheduled",
      "history.category_changed": "Category corrected",
      "history.note": "Note from the town",
      "history.merged": "Merged into another request",
      "history.duplicate_merged": "A duplicate was merged into this request",
      "history.routed": "Sent to the department that handles it",
      "history.photo_added": "Photo added",
      "history.photo_refused": "A photo could not be used",
      "history.photo_hidden": "A photo was hidden",

      "status.submitted": "Submitted",
      "status.acknowledged": "Acknowledged",
      "status.assigned": "Assigned",
      "status.scheduled": "Scheduled",
      "status.in_progress": "In progress",
      "status.reopened": "Reopened",
      "status.closed": "Closed",
      "resolution.fixed": "Fixed",
      "resolution.duplicate": "Duplicate",
      "resolution.no_action_needed": "No action needed",
      "resolution.cannot_locate": "Could not be found",
      "resolution.not_our_responsibility": "Not the town's responsibility",
      "resolution.cancelled": "Cancelled",

      "admin.title": "Staff: requests",
      "admin.heading": "Requests",
      "admin.staff": "Staff",
      "admin.sign_in": "Sign in",
      "admin.sign_out": "Sign out",
      "admin.sign_in_town": "Sign in with your town account",
      "admin.dev_hint": "Local sign-in of the development stack: any user name, with the groups to act in.",
      "admin.username": "User name",
      "admin.groups": "Groups",
      "admin.groups_hint": "Separated by commas, for example dept-DPW or admin",
      "admin.need_username": "Enter a user name",
      "admin.no_sign_in": "Staff sign-in is not set up for this site yet. Ask the administrator to set StaffSignInDomain.",
      "admin.expired": "Your sign-in has ended. Sign in again.",
      "admin.signed_in_as": "Signed in as {user}",
      "admin.entry_toggle": "Enter a phone or walk-in request",
      "admin.entry_heading": "New request for a caller",
      "admin.entry_submit": "Create the request",
      "admin.entered": "Request {id} was created.",
      "admin.channel": "How it came in",
      "admin.service": "Service",
      "admin.description": "Description",
      "admin.queue": "Queue",
      "admin.department": "Department",
      "admin.status": "Status",
      "admin.assignee": "Assignee",
      "admin.show": "Show",
      "admin.loading": "Loading…",
      "admin.count": "{n} requests",
      "admin.col.ticket": "Ticket",
      "admin.overdue": "Overdue",
      "admin.contact": "Reporter's contact",
      "admin.name": "Name",
      "admin.notify_by": "Updates by",
      "admin.photos": "Photos",
      "admin.photo_n": "Photo {n}",
      "admin.photo_hidden": "hidden from the public",
      "admin.hide_photo": "Hide from the public",
      "admin.show_photo": "Show again",
      "admin.photos_waiting": "{n} photos received, waiting to be processed",
      "admin.no_photos": "No photos",
      "admin.actions": "Actions",
      "admin.assign_to": "Assign to (account name)",
      "admin.assign": "Assign",
      "admin.schedule_at": "Work scheduled for",
      "admin.schedule": "Schedule",
      "admin.scheduled_for": "Scheduled for",
      "admin.new_status": "New status",
      "admin.resolution": "Resolution",
      "admin.referral": "Where the reporter should turn instead",
      "admin.status_note": "Public note to the reporter (optional)",
      "admin.change_status": "Change status",
      "admin.note": "Note",
      "admin.note_public": "Public: the reporter and everyone can read it",
      "admin.add_note": "Add the note",
      "admin.merge_into": "Duplicate of ticket",
      "admin.merge": "Merge as duplicate",
      "admin.move_to": "Re-route to department (code)",
      "admin.move": "Re-route",
      "admin.recategorize_to": "Correct the service",
      "admin.recategorize": "Change the service",
      "admin.duplicate_of": "Duplicate of",
      "admin.version": "Version",
      "admin.public": "Public",
      "admin.internal": "Internal",
      "admin.done": "Ticket {id} was updated.",
      "admin.stale": "Someone else changed this ticket meanwhile. It has been reloaded: check it and try again.",
      "filter.open": "All open",
      "filter.closed": "Closed",
      "filter.any_service": "Any service",
      "filter.overdue": "Only overdue",
      "actor.reporter": "Reporter",
      "actor.system": "System",
      "channel.web": "web form",
      "channel.phone": "Phone",
      "channel.walk_in": "Walk-in",
      "channel.email": "Email",
      "channel.sms": "SMS",
      "channel.mobile_app": "mobile app",
      "channel.open311": "Open311 app",
      "notify.email": "Email",
      "notify.sms": "Text message",
      "change.submitted": "Submitted by {channel}",
      "change.status": "Status: {from} → {to}",
      "change.assigned": "Assigned to {who}",
      "change.unassigned": "Back in the department's queue",
      "change.moved": "Re-routed from {from} to {to}",
      "change.scheduled": "Scheduled for {when}",
      "change.recategorized": "Service changed from {from} to {to}",
      "change.note": "Note: {text}",
      "change.merged": "Merged into {parent}",
      "change.absorbed": "{child} merged into this ticket",

      "summary.submitted": "Request submitted",
      "summary.status_changed": "Status: {status}",
      "summary.closed": "{resolution}",
      "summary.assigned": "Assigned to a crew",
      "summary.unassigned": "Back in the department's queue",
      "summary.moved": "Passed to another department",
      "summary.scheduled": "Work scheduled",
      "summary.recategorized": "Request category corrected",
      "summary.note": "Note",
      "summary.merged_into": "Merged into request {parent}, which carries on",
      "summary.absorbed": "Request {child} was merged into this one",
      "summary.routed_elsewhere": "Passed to the department that handles it",
      "summary.reviewed": "Reviewed",
      "summary.photo_added": "Photo added",
      "summary.photo_refused": "A photo could not be used",
      "summary.photo_hidden": "A photo was hidden",
      "summary.photo_shown": "A photo was shown again",
      "summary.status.submitted": "submitted",
      "summary.status.acknowledged": "acknowledged",
      "summary.status.assigned": "assigned",
      "summary.status.scheduled": "scheduled",
      "summary.status.in_progress": "in progress",
      "summary.status.reopened": "reopened",
      "summary.status.closed": "closed",
      "summary.resolution.fixed": "Fixed",
      "summary.resolution.duplicate": "Closed as a duplicate of another request",
      "summary.resolution.not_our_responsibility": "Referred: the town is not responsible",
      "summary.resolution.no_action_needed": "Closed: no action needed",
      "summary.resolution.cannot_locate": "Closed: the problem could not be found",
      "summary.resolution.cancelled": "Cancelled",
    },
    es: {
      "lang.name": "Español",
      "form.service.count.one": "1 servicio coincide",
      "nearby.found.one": "Hay 1 solicitud abierta del mismo problema cerca.",
      "admin.count.one": "1 solicitud",
      "admin.photos_waiting.one": "1 foto recibida, pendiente de procesar",
      skip: "Saltar al contenido",
      "nav.label": "Páginas",
      "nav.report": "Reportar un problema",
      "nav.status": "Consultar una solicitud",
      "foot.emergency": "En una emergencia, llame al 911.",
      "required.mark": "(obligatorio)",
      "optional.mark": "(opcional)",
      "errors.heading": "Corrija lo siguiente",

      "form.title": "Reportar un problema",
      "form.heading": "Reportar un problema",
      "form.intro": "Díganos qué pasa y dónde. Toma unos dos minutos; recibirá un número de solicitud al instante.",
      "form.loading": "Cargando la lista de servicios…",
      "form.service.legend": "1. ¿Cuál es el problema?",
      "form.service.search": "Buscar en los servicios",
      "form.service.search_hint": "Por ejemplo: bache, alumbrado, basura",
      "form.service.count": "{n} servicios coinciden",
      "form.service.none": "Ningún servicio coincide. Pruebe otra palabra o borre la búsqueda para verlos todos.",
      "form.service.other": "Otros",
      "form.questions.legend": "2. Algunas preguntas",
      "form.location.legend": "3. ¿Dónde está?",
      "form.location.help": "Toque el mapa para colocar el marcador o arrástrelo. También puede escribir una dirección o coordenadas.",
      "form.location.tiles_failed": "No se pudieron cargar las imágenes del mapa. Escriba la dirección o las coordenadas.",
      "form.location.use_mine": "Usar mi ubicación",
      "form.location.address": "Dirección o lugar de referencia",
      "form.location.address_hint": "Por ejemplo: 12 Main Street, o la esquina de Oak y Elm",
      "form.location.lat": "Latitud",
      "form.location.long": "Longitud",
      "form.location.map": "Mapa: toque para colocar el marcador",
      "form.location.pin": "Ubicación del problema",
      "form.location.finding": "Buscando su ubicación…",
      "form.location.found": "Su ubicación se colocó en el mapa y en las coordenadas.",
      "form.location.denied": "No se pudo obtener su ubicación. Coloque el marcador o escriba la dirección.",
      "form.location.unavailable": "Este navegador no puede compartir su ubicación. Coloque el marcador o escriba la dirección.",
      "address.suggestions": "Direcciones que coinciden",
      "address.found": "Se encontraron {n} direcciones. Use las flechas arriba y abajo para elegir una.",
      "address.found.one": "Se encontró 1 dirección. Use la flecha abajo para elegirla.",
      "address.chosen": "Se eligió {address}; el marcador está en el mapa.",
      "address.under_pin": "Dirección bajo el marcador: {address}",
      "form.photos.legend": "4. Fotos (opcional, hasta 3)",
      "form.photos.add": "Agregar fotos",
      "form.photos.hint": "Las fotos se reducen en su dispositivo antes de enviarse.",
      "form.photos.list": "Fotos agregadas",
      "form.photos.alt": "Foto {n}",
      "form.photos.remove": "Quitar la foto {n}",
      "form.photos.preparing": "Preparando las fotos…",
      "form.photos.count": "{n} de {max} fotos agregadas",
      "form.photos.too_many": "Solo se pueden agregar {n} fotos; las demás se omitieron.",
      "form.photos.unreadable": "No se pudo leer una foto. Pruebe con una foto JPEG o PNG.",
      "form.description": "5. Describa el problema (opcional)",
      "form.description_hint": "Lo que ve y cualquier detalle que ayude al equipo a encontrarlo.",
      "form.contact.legend": "6. Sus datos de contacto (opcional)",
      "form.contact.why": "Deje un correo o un teléfono para saber cuándo cambia la solicitud. Nunca se muestra al público.",
      "form.contact.first_name": "Nombre",
      "form.contact.last_name": "Apellido",
      "form.contact.email": "Correo electrónico",
      "form.contact.phone": "Teléfono móvil",
      "form.contact.notify_by": "¿Cómo le avisamos de los cambios?",
      "form.contact.by_email": "Por correo electrónico",
      "form.contact.by_sms": "Por mensaje de texto (SMS)",
      "form.submit": "Enviar el reporte",
      "form.sending": "Enviando su reporte…",

      "nearby.heading": "¿Ya lo reportaron cerca?",
      "nearby.intro": "Estas solicitudes abiertas del mismo problema están cerca de su marcador. Si sigue una, recibirá sus novedades sin crear un reporte nuevo.",
      "nearby.follow": "Seguir esta en su lugar",
      "nearby.found": "Hay {n} solicitudes abiertas del mismo problema cerca.",
      "nearby.metres": "a {n} m",
      "nearby.reported": "reportada el {when}",
      "nearby.no_address": "sin dirección",
      "nearby.need_contact": "Para seguir una solicitud, deje un correo o un teléfono para avisarle de los cambios.",

      "confirm.heading": "Gracias, recibimos su reporte",
      "confirm.ticket": "Su número de solicitud",
      "confirm.expected": "Fecha prevista",
      "confirm.expected_unknown": "Todavía sin fecha prevista",
      "confirm.department": "A cargo de",
      "confirm.contact": "Preguntas",
      "confirm.follow_status": "Ver su estado",
      "confirm.another": "Reportar otro problema",
      "following.heading": "Ahora sigue esta solicitud",
      "following.body": "Le avisaremos cuando cambie. No se creó un reporte nuevo.",

      "error.service": "Elija el tipo de problema",
      "error.answer_required": "Responda esta pregunta",
      "error.number": "Escriba un número, como 4 o 2,5",
      "error.datetime": "Escriba una fecha y hora",
      "error.location": "Coloque el marcador en el mapa, o escriba una dirección o coordenadas",
      "error.coordinates": "Escriba una latitud entre -90 y 90 y una longitud entre -180 y 180",
      "error.email": "Escriba un correo como nombre@ejemplo.com",
      "error.phone": "Escriba un número de teléfono con su código de área",
      "error.sms_needs_phone": "Para recibir mensajes de texto, deje un teléfono móvil",
      "error.network": "No se pudo enviar: revise su conexión e inténtelo de nuevo.",
      "error.generic": "Algo salió mal (error {status}). Inténtelo de nuevo.",
      "error.signin": "Su sesión terminó. Vuelva a iniciar sesión.",

      "status.title": "Consultar una solicitud",
      "status.heading": "Consultar una solicitud",
      "status.number": "Número de solicitud",
      "status.number_hint": "Ocho letras y números, como 8JXK-RNBS",
      "status.look_up": "Consultar",
      "status.looking": "Buscando la solicitud…",
      "status.bad_number": "Escriba las ocho letras y números de la solicitud, como 8JXK-RNBS",
      "status.not_found": "No se encontró la solicitud {id}. Revise el número e inténtelo de nuevo.",
      "status.found": "Solicitud {id}: {state}",
      "status.request": "{id}: {service}",
      "status.state": "Estado",
      "status.requested": "Reportada",
      "status.where": "Dónde",
      "status.description": "Descripción",
      "status.history": "Historial",
      "status.latest_note": "Última nota del municipio: {note}",
      "state.open": "Abierta",
      "state.closed": "Cerrada",

      "history.submitted": "Solicitud recibida",
      "history.status_changed": "Cambio de estado",
      "history.assigned": "Asignada a un equipo",
      "history.department_changed": "Pasada a otro departamento",
      "history.scheduled": "Trabajo programado",
      "history.category_changed": "Categoría corregida",
      "history.note": "Nota del municipio",
      "history.merged": "Unida a otra solicitud",
      "history.duplicate_merged": "Se unió un duplicado a esta solicitud",
      "history.routed": "Enviada al departamento que la atiende",
      "history.photo_added": "Foto agregada",
      "history.photo_refused": "Una foto no se pudo usar",
      "history.photo_hidden": "Se ocultó una foto",

      "status.submitted": "Enviada",
      "status.acknowledged": "Recibida",
      "status.assigned": "Asignada",
      "status.scheduled": "Programada",
      "status.in_progress": "En curso",
      "status.reopened": "Reabierta",
      "status.closed": "Cerrada",
      "resolution.fixed": "Reparado",
      "resolution.duplicate": "Duplicada",
      "resolution.no_action_needed": "No requiere acción",
      "resolution.cannot_locate": "No se encontró",
      "resolution.not_our_responsibility": "No es responsabilidad del municipio",
      "resolution.cancelled": "Cancelada",

      "admin.title": "Personal: solicitudes",
      "admin.heading": "Solicitudes",
      "admin.staff": "Personal",
      "admin.sign_in": "Iniciar sesión",
      "admin.sign_out": "Cerrar sesión",
      "admin.sign_in_town": "Iniciar sesión con su cuenta del municipio",
      "admin.dev_hint": "Inicio de sesión local del entorno de desarrollo: cualquier nombre de usuario, con los grupos en los que actúa.",
      "admin.username": "Nombre de usuario",
      "admin.groups": "Grupos",
      "admin.groups_hint": "Separados por comas, por ejemplo dept-DPW o admin",
      "admin.need_username": "Escriba un nombre de usuario",
      "admin.no_sign_in": "El inicio de sesión del personal aún no está configurado. Pida al administrador que defina StaffSignInDomain.",
      "admin.expired": "Su sesión terminó. Vuelva a iniciar sesión.",
      "admin.signed_in_as": "Sesión de {user}",
      "admin.entry_toggle": "Registrar una solicitud telefónica o presencial",
      "admin.entry_heading": "Nueva solicitud para quien llama",
      "admin.entry_submit": "Crear la solicitud",
      "admin.entered": "Se creó la solicitud {id}.",
      "admin.channel": "Cómo llegó",
      "admin.service": "Servicio",
      "admin.description": "Descripción",
      "admin.queue": "Cola de trabajo",
      "admin.department": "Departamento",
      "admin.status": "Estado",
      "admin.assignee": "Responsable",
      "admin.show": "Mostrar",
      "admin.loading": "Cargando…",
      "admin.count": "{n} solicitudes",
      "admin.col.ticket": "Solicitud",
      "admin.overdue": "Atrasada",
      "admin.contact": "Contacto de quien reporta",
      "admin.name": "Nombre",
      "admin.notify_by": "Avisos por",
      "admin.photos": "Fotos",
      "admin.photo_n": "Foto {n}",
      "admin.photo_hidden": "oculta al público",
      "admin.hide_photo": "Ocultar al público",
      "admin.show_photo": "Mostrar de nuevo",
      "admin.photos_waiting": "{n} fotos recibidas, pendientes de procesar",
      "admin.no_photos": "Sin fotos",
      "admin.actions": "Acciones",
      "admin.assign_to": "Asignar a (nombre de cuenta)",
      "admin.assign": "Asignar",
      "admin.schedule_at": "Trabajo programado para",
      "admin.schedule": "Programar",
      "admin.scheduled_for": "Programada para",
      "admin.new_status": "Nuevo estado",
      "admin.resolution": "Resolución",
      "admin.referral": "A dónde debe dirigirse quien reporta",
      "admin.status_note": "Nota pública para quien reporta (opcional)",
      "admin.change_status": "Cambiar el estado",
      "admin.note": "Nota",
      "admin.note_public": "Pública: quien reporta y cualquiera pueden leerla",
      "admin.add_note": "Agregar la nota",
      "admin.merge_into": "Duplicada de la solicitud",
      "admin.merge": "Unir como duplicada",
      "admin.move_to": "Pasar al departamento (código)",
      "admin.move": "Pasar",
      "admin.recategorize_to": "Corregir el servicio",
      "admin.recategorize": "Cambiar el servicio",
      "admin.duplicate_of": "Duplicada de",
      "admin.version": "Versión",
      "admin.public": "Pública",
      "admin.internal": "Interna",
      "admin.done": "Se actualizó la solicitud {id}.",
      "admin.stale": "Otra persona cambió esta solicitud mientras tanto. Se volvió a cargar: revísela e inténtelo de nuevo.",
      "filter.open": "Todas las abiertas",
      "filter.closed": "Cerradas",
      "filter.any_service": "Cualquier servicio",
      "filter.overdue": "Solo atrasadas",
      "actor.reporter": "Quien reporta",
      "actor.system": "Sistema",
      "channel.web": "formulario web",
      "channel.phone": "Teléfono",
      "channel.walk_in": "En persona",
      "channel.email": "Correo",
      "channel.sms": "SMS",
      "channel.mobile_app": "aplicación móvil",
      "channel.open311": "aplicación Open311",
      "notify.email": "Correo electrónico",
      "notify.sms": "Mensaje de texto",
      "change.submitted": "Enviada por {channel}",
      "change.status": "Estado: {from} → {to}",
      "change.assigned": "Asignada a {who}",
      "change.unassigned": "De vuelta en la cola del departamento",
      "change.moved": "Pasada de {from} a {to}",
      "change.scheduled": "Programada para {when}",
      "change.recategorized": "Servicio cambiado de {from} a {to}",
      "change.note": "Nota: {text}",
      "change.merged": "Unida a {parent}",
      "change.absorbed": "{child} se unió a esta solicitud",

      "summary.submitted": "Solicitud enviada",
      "summary.status_changed": "Estado: {status}",
      "summary.closed": "{resolution}",
      "summary.assigned": "Asignada a un equipo",
      "summary.unassigned": "De vuelta en la cola del departamento",
      "summary.moved": "Pasada a otro departamento",
      "summary.scheduled": "Trabajo programado",
      "summary.recategorized": "Categoría corregida",
      "summary.note": "Nota",
      "summary.merged_into": "Unida a la solicitud {parent}, que sigue adelante",
      "summary.absorbed": "La solicitud {child} se unió a esta",
      "summary.routed_elsewhere": "Pasada al departamento que la atiende",
      "summary.reviewed": "Revisada",
      "summary.photo_added": "Foto agregada",
      "summary.photo_refused": "Una foto no se pudo usar",
      "summary.photo_hidden": "Se ocultó una foto",
      "summary.photo_shown": "Se volvió a mostrar una foto",
      "summary.status.submitted": "enviada",
      "summary.status.acknowledged": "recibida",
      "summary.status.assigned": "asignada",
      "summary.status.scheduled": "programada",
      "summary.status.in_progress": "en curso",
      "summary.status.reopened": "reabierta",
      "summary.status.closed": "cerrada",
      "summary.resolution.fixed": "Reparado",
      "summary.resolution.duplicate": "Cerrada como duplicada de otra solicitud",
      "summary.resolution.not_our_responsibility": "Derivada: no es responsabilidad del municipio",
      "summary.resolution.no_action_needed": "Cerrada: no requiere acción",
      "summary.resolution.cannot_locate": "Cerrada: no se encontró el problema",
      "summary.resolution.cancelled": "Cancelada",
    },
  };

  var supported = ["en", "es"];
  var KEY = "town311.lang";
  var listeners = [];

  function pick(candidate) {
    var code = String(candidate || "")
      .slice(0, 2)
      .toLowerCase();
    return supported.indexOf(code) >= 0 ? code : null;
  }

  function initial() {
    var fromUrl = pick(new URLSearchParams(window.location.search).get("lang"));
    if (fromUrl) return fromUrl;
    try {
      var stored = pick(window.localStorage.getItem(KEY));
      if (stored) return stored;
    } catch (e) {
      /* storage blocked: fall through */
    }
    var browser = (navigator.languages || [navigator.language]).map(pick).filter(Boolean);
    return browser[0] || "en";
  }

  var lang = initial();

  /** The words of `key` in the page's language, with {name} filled from `vars`. */
  function t(key, vars) {
    var text = words[lang][key];
    if (text === undefined) text = words.en[key];
    if (text === undefined) return key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : whole;
    });
  }

  /** A history entry's summary, from the API's code and parameters, in the page's language:
   * `status` and `resolution` values are worded too, ticket numbers kept as they are. A code
   * these pages do not know yet reads as the API's English `fallback`. */
  function summary(code, params, fallback) {
    var key = "summary." + code;
    if (words.en[key] === undefined) return fallback || code;
    var vars = {};
    Object.keys(params || {}).forEach(function (name) {
      var value = String(params[name]);
      var worded = "summary." + name + "." + value;
      vars[name] = words.en[worded] === undefined ? value : t(worded);
    });
    return t(key, vars);
  }

  /** Like t, with {n} filled and the singular (`key.one`) when n is 1. */
  function tn(key, n, vars) {
    var all = Object.assign({ n: n }, vars || {});
    if (n === 1 && (words[lang][key + ".one"] || words.en[key + ".one"])) return t(key + ".one", all);
    return t(key, all);
  }

  function apply() {
    document.documentElement.lang = lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-aria-label]"), function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria-label")));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (node) {
      node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
    });
    var other = lang === "en" ? "es" : "en";
    Array.prototype.forEach.call(document.querySelectorAll("[data-lang-switch]"), function (button) {
      button.textContent = words[other]["lang.name"];
      button.setAttribute("lang", other);
    });
  }

  function set(next) {
    var code = pick(next);
    if (!code || code === lang) return;
    lang = code;
    try {
      window.localStorage.setItem(KEY, lang);
    } catch (e) {
      /* the choice then lasts as long as the page */
    }
    apply();
    listeners.forEach(function (listener) {
      listener(lang);
    });
  }

  window.I18N = {
    t: t,
    tn: tn,
    summary: summary,
    set: set,
    apply: apply,
    supported: supported,
    onChange: function (listener) {
      listeners.push(listener);
    },
    get lang() {
      return lang;
    },
  };

  apply();
  Array.prototype.forEach.call(document.querySelectorAll("[data-lang-switch]"), function (button) {
    button.addEventListener("click", function () {
      set(lang === "en" ? "es" : "en");
    });
  });
})();
